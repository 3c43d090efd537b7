import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, readdir, rm, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MAX_CLAIM_CACHED_BLOBS } from '@tessera/protocol';
import type { Logger } from 'pino';

/**
 * Puts a verified copy of a blob at `destination`: written elsewhere first and renamed into place
 * only once its size and SHA-256 matched, so `destination` never holds a partial or wrong blob.
 * `BlobClient.download` does exactly this.
 */
export type BlobFetch = (sha256: string, size: number, destination: string) => Promise<void>;

export interface BlobCacheOptions {
  /** The cache's own directory (the agent uses `<work dir>/blobs`); created if missing. */
  dir: string;
  /** Budget for the cached blobs' total size; 0 turns the cache off. */
  maxBytes: number;
  fetch: BlobFetch;
  logger: Logger;
}

/** A blob a task is using: the cache keeps it until `release()` (idempotent). */
export interface HeldBlob {
  path: string;
  release(): void;
}

interface Entry {
  size: number;
  /** Tasks holding the blob, and placements waiting for it: an entry is never evicted while above 0. */
  refs: number;
  /** Until the file is in place and verified: the one download (or check) everyone who wants it awaits. */
  pending?: Promise<void>;
  /** Found on disk at start-up; its content is hashed before its first use. */
  unverified: boolean;
}

const DIGEST = /^[0-9a-f]{64}$/;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Content-addressed blob cache on the agent's disk, so an input every task of a job reads (an
 * inference model) is downloaded once per machine instead of once per task. A file's name is its
 * SHA-256; it appears under that name only after the download's size and digest matched, and it is
 * read-only from then on (task directories get hard links to it, and mount them read-only).
 *
 * Guarantees:
 * - one download per blob at a time, however many tasks want it at once; they all wait for it;
 * - a blob a task holds is never evicted; otherwise the least recently used go first once the total
 *   passes `maxBytes`. Blobs in use may push the total past the budget (a task needs its inputs; the
 *   same bytes would otherwise sit in its directory): the excess is evicted as they are released;
 * - a failed download leaves nothing behind and is not remembered: the next request tries again;
 * - after a restart the directory is re-indexed from the file names (least recently used by mtime);
 *   leftovers that are not complete blobs are deleted, and a found blob is hashed before first use.
 */
export class BlobCache {
  /** Least recently used first (a Map keeps insertion order; a use re-inserts at the end). */
  private readonly entries = new Map<string, Entry>();
  private totalBytes = 0;
  /** Unlinks of evicted files still running: a new download of the same digest waits for its own. */
  private readonly removals = new Map<string, Promise<void>>();

  private constructor(private readonly opts: BlobCacheOptions) {}

  /** Opens the cache, re-indexing what an earlier run left in its directory. */
  static async open(opts: BlobCacheOptions): Promise<BlobCache> {
    const cache = new BlobCache(opts);
    if (cache.enabled) await cache.reindex();
    return cache;
  }

  get enabled(): boolean {
    return this.opts.maxBytes > 0;
  }

  /** Bytes of cached blobs, including downloads under way. */
  get sizeBytes(): number {
    return this.totalBytes;
  }

  /** Digests of the blobs in the cache, most recently used first: what the agent's claims list. */
  held(limit = MAX_CLAIM_CACHED_BLOBS): string[] {
    const digests: string[] = [];
    const all = [...this.entries];
    for (let i = all.length - 1; i >= 0 && digests.length < limit; i--) {
      if (!all[i][1].pending) digests.push(all[i][0]);
    }
    return digests;
  }

  /**
   * The blob from the cache, downloaded into it first unless it is there, held until released.
   * Undefined when it cannot be cached (the cache is off, the blob is larger than the whole budget,
   * or a task is using a cached file of that digest with another size): fetch it privately then.
   * Rejects with the download's error; every concurrent request for the blob shares that outcome.
   */
  async acquire(sha256: string, size: number): Promise<HeldBlob | undefined> {
    if (!this.enabled || size > this.opts.maxBytes) return undefined;
    let entry = this.entries.get(sha256);
    if (entry && entry.size !== size) {
      // The coordinator checked the size on upload, so the file here is wrong: replace it when free.
      if (entry.refs > 0 || entry.pending) return undefined;
      this.opts.logger.warn({ sha256, size, cached: entry.size }, 'cached blob has the wrong size');
      this.evict(sha256, entry);
      entry = undefined;
    }
    if (!entry) {
      const fresh: Entry = { size, refs: 1, unverified: false };
      entry = fresh;
      this.entries.set(sha256, fresh);
      this.totalBytes += size;
      // The reference is taken before the download starts making room, so it never evicts itself.
      fresh.pending = this.settle(sha256, fresh, () => this.download(sha256, fresh));
    } else {
      entry.refs++;
      this.entries.delete(sha256);
      this.entries.set(sha256, entry);
      const found = entry;
      if (found.unverified && !found.pending)
        found.pending = this.settle(sha256, found, () => this.check(sha256, found));
    }
    const held = entry;
    try {
      await held.pending;
    } catch (error) {
      this.release(sha256, held);
      throw error;
    }
    const path = this.pathOf(sha256);
    // The file's mtime records the use, so the eviction order survives a restart.
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    let released = false;
    return {
      path,
      release: () => {
        if (released) return;
        released = true;
        this.release(sha256, held);
      },
    };
  }

  private pathOf(sha256: string): string {
    return join(this.opts.dir, sha256);
  }

  /** Runs an entry's download or check; a failure forgets the entry so the next request starts over. */
  private async settle(sha256: string, entry: Entry, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      entry.unverified = false;
    } catch (error) {
      if (this.entries.get(sha256) === entry) {
        this.entries.delete(sha256);
        this.totalBytes -= entry.size;
      }
      throw error;
    } finally {
      entry.pending = undefined;
    }
  }

  private async download(sha256: string, entry: Entry): Promise<void> {
    await this.removals.get(sha256);
    this.trim();
    const path = this.pathOf(sha256);
    // The fetch writes a temp file beside `path` and renames it only after the digest matched.
    await this.opts.fetch(sha256, entry.size, path);
    await chmod(path, 0o444);
  }

  /** A blob found at start-up: used as it is when its content still hashes to its name. */
  private async check(sha256: string, entry: Entry): Promise<void> {
    const path = this.pathOf(sha256);
    const actual = await hashFile(path).catch(() => undefined);
    if (actual === sha256) return;
    this.opts.logger.warn({ sha256, actual }, 'cached blob is corrupt: downloading it again');
    await rm(path, { force: true });
    await this.opts.fetch(sha256, entry.size, path);
    await chmod(path, 0o444);
  }

  private release(sha256: string, entry: Entry): void {
    entry.refs--;
    if (entry.refs === 0 && this.entries.get(sha256) === entry) this.trim();
  }

  /** Evicts the least recently used blobs nobody holds until the total fits the budget. */
  private trim(): void {
    for (const [sha256, entry] of this.entries) {
      if (this.totalBytes <= this.opts.maxBytes) return;
      if (entry.refs === 0 && !entry.pending) this.evict(sha256, entry);
    }
  }

  private evict(sha256: string, entry: Entry): void {
    this.entries.delete(sha256);
    this.totalBytes -= entry.size;
    const path = this.pathOf(sha256);
    const removal = (this.removals.get(sha256) ?? Promise.resolve())
      .then(() => rm(path, { force: true }))
      .catch((error: unknown) =>
        this.opts.logger.warn({ sha256, err: String(error) }, 'could not remove an evicted blob'),
      )
      .finally(() => {
        if (this.removals.get(sha256) === removal) this.removals.delete(sha256);
      });
    this.removals.set(sha256, removal);
  }

  private async reindex(): Promise<void> {
    const { dir, logger } = this.opts;
    await mkdir(dir, { recursive: true });
    const found: { sha256: string; size: number; usedAt: number }[] = [];
    let removed = 0;
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const stats = await lstat(path).catch(() => undefined);
      if (!stats) continue;
      // Anything but a complete blob: a download cut short (`.partial`), a stray file or directory,
      // or a blob emptied by a crash before its data reached the disk.
      if (!DIGEST.test(name) || !stats.isFile() || (stats.size === 0 && name !== EMPTY_SHA256)) {
        await rm(path, { recursive: true, force: true });
        removed++;
        continue;
      }
      found.push({ sha256: name, size: stats.size, usedAt: stats.mtimeMs });
    }
    found.sort((a, b) => a.usedAt - b.usedAt);
    for (const blob of found) {
      this.entries.set(blob.sha256, { size: blob.size, refs: 0, unverified: true });
      this.totalBytes += blob.size;
    }
    this.trim(); // the budget may be smaller than last time
    await Promise.all(this.removals.values());
    logger.info(
      { blobs: this.entries.size, bytes: this.totalBytes, removed, maxBytes: this.opts.maxBytes },
      'blob cache ready',
    );
  }
}

/**
 * Makes a held blob appear at `destination` (a path in a task's input directory): a hard link when
 * the file system allows one (no copy, no extra space), a copy otherwise.
 */
export async function placeBlob(source: string, destination: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  try {
    await link(source, destination);
  } catch {
    // Another file system (EXDEV), no hard links there (EPERM, ENOTSUP) or too many (EMLINK).
    await copyFile(source, destination);
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
