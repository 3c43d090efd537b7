import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class BlobTransferError extends Error {
  constructor(
    message: string,
    /** Retrying cannot help (e.g. the coordinator refused the token or the blob does not exist). */
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'BlobTransferError';
  }
}

/**
 * The coordinator's blob HTTP API from the agent's side. Both directions stream and check SHA-256:
 * a download is written to a temp file and renamed into place only if its digest matches, and an
 * upload is PUT under its digest so the coordinator rejects anything corrupted on the way.
 */
export class BlobClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | undefined,
  ) {}

  async download(sha256: string, size: number, destination: string): Promise<void> {
    await mkdir(dirname(destination), { recursive: true });
    const temp = `${destination}.partial`;
    const res = await this.send('GET', sha256);
    if (res.statusCode !== 200) {
      const body = await readBody(res);
      throw new BlobTransferError(
        `download of ${sha256} failed: HTTP ${res.statusCode} ${body}`,
        res.statusCode === 404 || res.statusCode === 403,
      );
    }
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        if (received > size)
          return callback(
            new BlobTransferError(`blob ${sha256} is larger than the ${size} bytes announced`, true),
          );
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(res, meter, createWriteStream(temp));
      const actual = hash.digest('hex');
      if (actual !== sha256 || received !== size) {
        throw new BlobTransferError(
          `blob ${sha256} arrived corrupted (got ${actual}, ${received} bytes)`,
          false,
        );
      }
      await rename(temp, destination);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Uploads a file the agent has already hashed. */
  async upload(path: string, sha256: string, size: number): Promise<void> {
    const res = await this.send('PUT', sha256, { body: path, size });
    const body = await readBody(res);
    if (res.statusCode !== 201) {
      throw new BlobTransferError(
        `upload of ${sha256} failed: HTTP ${res.statusCode} ${body}`,
        res.statusCode === 403 || res.statusCode === 413,
      );
    }
  }

  private send(
    method: 'GET' | 'PUT',
    sha256: string,
    upload?: { body: string; size: number },
  ): Promise<http.IncomingMessage> {
    const url = new URL(`/v1/blobs/${sha256}`, this.baseUrl);
    const token = this.token();
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(upload
              ? { 'content-type': 'application/octet-stream', 'content-length': String(upload.size) }
              : {}),
          },
          timeout: 60_000,
        },
        resolve,
      );
      req.on('timeout', () =>
        req.destroy(new BlobTransferError(`${method} ${url.pathname} timed out`, false)),
      );
      req.on('error', reject);
      if (upload) {
        const source = createReadStream(upload.body);
        source.on('error', (error) => req.destroy(error));
        source.pipe(req);
      } else {
        req.end();
      }
    });
  }
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) {
    if (text.length < 2000) text += String(chunk);
  }
  return text.slice(0, 2000);
}
