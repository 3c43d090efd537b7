import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobStore, BlobWriteError, StoredBlob } from './blob-store';

/**
 * Blobs as files under `<root>/sha256/ab/abcdef…`. A write goes to `<root>/incoming/<uuid>` while
 * being hashed and counted, is fsynced, and is renamed into place only when its digest is right, so
 * a crash or a bad upload never leaves a partial blob under a real digest.
 */
export class LocalBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  async write(source: Readable, options: { expectedSha256?: string; maxBytes: number }): Promise<StoredBlob> {
    const incoming = join(this.root, 'incoming');
    await mkdir(incoming, { recursive: true });
    const temp = join(incoming, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > options.maxBytes) {
          callback(new BlobWriteError({ reason: 'too-large', limit: options.maxBytes }));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (options.expectedSha256 && options.expectedSha256 !== sha256) {
        throw new BlobWriteError({
          reason: 'hash-mismatch',
          expected: options.expectedSha256,
          actual: sha256,
          size,
        });
      }
      const handle = await open(temp, 'r');
      await handle.sync();
      await handle.close();
      const target = this.pathOf(sha256);
      await mkdir(join(target, '..'), { recursive: true });
      // Content-addressed: if the blob already exists this rename replaces identical bytes.
      await rename(temp, target);
      return { sha256, size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async read(sha256: string): Promise<Readable | undefined> {
    const path = this.pathOf(sha256);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return createReadStream(path);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await stat(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}
