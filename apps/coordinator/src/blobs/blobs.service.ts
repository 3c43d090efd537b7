import { Inject, Injectable } from '@nestjs/common';
import { finished, PassThrough, Readable } from 'node:stream';
import { SHA256_HEX } from '@tessera/crypto';
import { Actor } from '../auth/actor';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { BLOB_STORE, BlobStore, BlobWriteError, StoredBlob } from './blob-store';
import { BlobsRepository } from './blobs.repository';

/** How many digests one uploadPlan may ask about. */
export const MAX_PLANNED_BLOBS = 1000;

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Reads and discards the rest of a stream; resolves when it has ended or was destroyed. */
function drain(source: Readable): Promise<void> {
  if (source.readableEnded || source.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    finished(source, () => resolve());
    source.resume();
  });
}

@Injectable()
export class BlobsService {
  constructor(
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    private readonly blobs: BlobsRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /**
   * Streams an upload into the store. Customers may upload anything within the size limit; agents
   * only while they hold a lease (their outputs). With `expectedSha256` the digest is checked on
   * arrival; on any failure nothing is stored.
   */
  async upload(
    actor: Actor,
    source: Readable,
    opts: { expectedSha256?: string; contentLength?: number },
  ): Promise<StoredBlob> {
    if (actor.kind === 'anonymous')
      throw new AppError('UNAUTHENTICATED', 'uploads need an API key or an agent token');
    if (opts.expectedSha256 !== undefined && !SHA256_HEX.test(opts.expectedSha256)) {
      throw new AppError(
        'BLOB_BAD_DIGEST',
        `"${opts.expectedSha256.slice(0, 80)}" is not a lowercase hex SHA-256 digest`,
      );
    }
    const maxBytes = this.config.blobs.maxBytes;
    if (opts.contentLength !== undefined && opts.contentLength > maxBytes) {
      throw this.tooLarge(opts.contentLength, maxBytes);
    }
    if (actor.kind === 'provider' && !(await this.blobs.providerHasLiveLease(actor.providerId))) {
      throw new AppError('FORBIDDEN', 'agents may upload only while they hold a task lease');
    }
    // A failed write destroys what the store reads from; for an HTTP request that detaches its socket
    // with the rest of the body unread, and the keep-alive connection hangs until it times out. The
    // store gets a copy instead, and on failure the rest of the body is read off (as Express's
    // body-parser does), so the error reaches the client and the connection stays usable.
    const body = source.pipe(new PassThrough());
    const stopWatching = finished(source, (error) => {
      if (error) body.destroy(error);
    });
    let stored: StoredBlob;
    try {
      stored = await this.store.write(body, { expectedSha256: opts.expectedSha256, maxBytes });
    } catch (error) {
      source.unpipe(body);
      await drain(source);
      if (error instanceof BlobWriteError) {
        const f = error.failure;
        if (f.reason === 'too-large') throw this.tooLarge(undefined, f.limit);
        throw new AppError(
          'BLOB_HASH_MISMATCH',
          `the upload's SHA-256 is ${f.actual} (${formatBytes(f.size)}), not ${f.expected}: it was corrupted or truncated in transit; nothing was stored`,
        );
      }
      throw error;
    } finally {
      stopWatching();
    }
    await this.blobs.recordUpload(
      stored.sha256,
      stored.size,
      actor.kind === 'account' ? actor.accountId : undefined,
    );
    return stored;
  }

  /** Stores data the coordinator derived for an account (an inference shard), granted to it. */
  async storeForAccount(accountId: string, data: Buffer): Promise<StoredBlob> {
    const stored = await this.store.write(Readable.from([data]), { maxBytes: Math.max(data.length, 1) });
    await this.blobs.recordUpload(stored.sha256, stored.size, accountId);
    return stored;
  }

  /** Opens a blob the actor may read: one it uploaded or owns as a job output, or a leased task's input. */
  async open(actor: Actor, sha256: string): Promise<{ size: number; stream: Readable }> {
    if (!SHA256_HEX.test(sha256))
      throw new AppError('BLOB_BAD_DIGEST', 'blob ids are lowercase hex SHA-256 digests');
    let size: number | undefined;
    if (actor.kind === 'account') {
      size = (await this.blobs.findGranted(sha256, actor.accountId))?.size;
    } else if (actor.kind === 'provider') {
      size = (await this.blobs.isInputOfLiveLease(sha256, actor.providerId))
        ? (await this.blobs.findOne(sha256))?.size
        : undefined;
    } else {
      throw new AppError('UNAUTHENTICATED', 'downloads need an API key or an agent token');
    }
    // Unknown and not-yours look the same, so digests cannot be probed.
    const stream = size === undefined ? undefined : await this.store.read(sha256);
    if (size === undefined || !stream)
      throw new AppError('BLOB_NOT_FOUND', `no blob ${sha256} is available to you`);
    return { size, stream };
  }

  /**
   * What an upload must still send: of `sha256s` (1 to 1000 digests), those this account cannot use
   * yet, in the order asked, and the size limit per blob. Like downloads, another account's blob
   * counts as missing, so digests cannot be probed.
   */
  async uploadPlan(
    actor: Actor,
    sha256s: readonly string[],
  ): Promise<{ missing: string[]; maxBytes: number }> {
    if (actor.kind !== 'account') throw new AppError('UNAUTHENTICATED', 'uploads need an API key');
    if (sha256s.length < 1 || sha256s.length > MAX_PLANNED_BLOBS) {
      throw new AppError(
        'BAD_INPUT',
        `ask about 1 to ${MAX_PLANNED_BLOBS} blobs at a time, got ${sha256s.length}`,
        'sha256',
      );
    }
    const bad = sha256s.findIndex((s) => !SHA256_HEX.test(s));
    if (bad >= 0) {
      throw new AppError('BAD_INPUT', `sha256[${bad}] is not a lowercase hex SHA-256 digest`, 'sha256');
    }
    const unique = [...new Set(sha256s)];
    const granted = await this.blobs.grantedAmong(unique, actor.accountId);
    return {
      missing: unique.filter((s) => !granted.has(s)),
      maxBytes: this.config.blobs.maxBytes,
    };
  }

  /** Sizes of the given blobs that this account may read (for validating job inputs). */
  async lookupForAccount(accountId: string, sha256: string): Promise<{ size: number } | undefined> {
    const blob = await this.blobs.findGranted(sha256, accountId);
    return blob ? { size: blob.size } : undefined;
  }

  private tooLarge(size: number | undefined, limit: number): AppError {
    const what = size === undefined ? 'the upload' : `the upload (${formatBytes(size)})`;
    return new AppError(
      'BLOB_TOO_LARGE',
      `${what} exceeds the ${formatBytes(limit)} limit; nothing was stored`,
    );
  }
}
