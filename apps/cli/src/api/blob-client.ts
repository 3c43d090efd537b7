import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config/cli-config';
import { apiError, authHeader, endpoint, errorLineFromBody, unreachable } from './http-errors';

/** A download whose bytes did not hash to what the coordinator promised; nothing was kept. */
export class HashMismatchError extends CliError {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${file}: the downloaded bytes hash to ${actual}, not ${expected}; the file was not kept`);
  }
}

/** Counts bytes flowing through, for progress bars. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** The blob HTTP API (`/v1/blobs/<sha256>`) and other file downloads from the coordinator. */
export class BlobClient {
  constructor(private readonly config: CliConfig) {}

  /** True when the account can already read this blob (HEAD 200), so uploading it again is pointless. */
  async exists(sha256: string): Promise<boolean> {
    let res: Response;
    try {
      res = await fetch(endpoint(this.config, `/v1/blobs/${sha256}`), {
        method: 'HEAD',
        headers: authHeader(this.config),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw unreachable(this.config, error);
    }
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    // HEAD responses carry no body: name the status the way the API's codes would.
    if (res.status === 401)
      throw apiError('UNAUTHENTICATED: the coordinator refused the API key', this.config);
    throw apiError(`HTTP ${res.status} ${res.statusText} checking blob ${sha256}`, this.config);
  }

  /**
   * Streams a file to `PUT /v1/blobs/<sha256>` with its Content-Length, reporting bytes sent. The
   * coordinator checks size and digest on arrival; its refusal (BLOB_TOO_LARGE, BLOB_HASH_MISMATCH,
   * UNAUTHENTICATED…) becomes a CliError with its message, even when it answers before the body is
   * sent.
   */
  upload(path: string, sha256: string, size: number, onBytes: (n: number) => void = () => {}): Promise<void> {
    const url = new URL(endpoint(this.config, `/v1/blobs/${sha256}`));
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      const file = createReadStream(path);
      const req = transport.request(url, {
        method: 'PUT',
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(size),
          ...authHeader(this.config),
        },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => settle(unreachable(this.config, error)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 200 || status === 201) return settle();
          // An early refusal (413 on Content-Length) arrives mid-body: stop sending the rest.
          file.destroy();
          req.destroy();
          const text = Buffer.concat(chunks).toString('utf8');
          settle(apiError(errorLineFromBody(status, res.statusMessage ?? '', text), this.config));
        });
      });
      req.on('error', (error) => settle(unreachable(this.config, error)));
      file.on('error', (error) => {
        req.destroy();
        settle(new CliError(`cannot read ${path}: ${error.message}`));
      });
      file.pipe(counter(onBytes)).pipe(req);
    });
  }

  /**
   * Downloads `path` (an API path such as `/v1/blobs/<sha256>`) to `dest`. Bytes go to `dest.part`
   * first and are renamed into place only when complete and, with `expectedSha256`, only when they
   * hash to it: `dest` is never a partial or corrupt file. Returns the digest and size.
   */
  async download(
    path: string,
    dest: string,
    opts: { expectedSha256?: string; onBytes?: (n: number) => void; label?: string } = {},
  ): Promise<{ sha256: string; size: number; response: Response }> {
    let res: Response;
    try {
      res = await fetch(endpoint(this.config, path), { headers: authHeader(this.config) });
    } catch (error) {
      throw unreachable(this.config, error);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      throw apiError(errorLineFromBody(res.status, res.statusText, text), this.config);
    }
    const part = `${dest}.part`;
    const hash = createHash('sha256');
    let size = 0;
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        counter((n) => {
          size += n;
          opts.onBytes?.(n);
        }),
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            callback(null, chunk);
          },
        }),
        createWriteStream(part),
      );
    } catch (error) {
      await rm(part, { force: true });
      // File-system errors name a path; anything else is the connection failing mid-transfer.
      if ((error as NodeJS.ErrnoException).path)
        throw new CliError(`cannot write ${part}: ${(error as Error).message}`);
      throw unreachable(this.config, error);
    }
    const sha256 = hash.digest('hex');
    if (opts.expectedSha256 && sha256 !== opts.expectedSha256) {
      await rm(part, { force: true });
      throw new HashMismatchError(opts.label ?? dest, opts.expectedSha256, sha256);
    }
    await rename(part, dest);
    return { sha256, size, response: res };
  }
}
