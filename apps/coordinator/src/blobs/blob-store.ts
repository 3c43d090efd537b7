import type { Readable } from 'node:stream';

export interface StoredBlob {
  sha256: string;
  size: number;
}

export type BlobWriteFailure =
  | { reason: 'too-large'; limit: number }
  | { reason: 'hash-mismatch'; expected: string; actual: string; size: number };

export class BlobWriteError extends Error {
  constructor(readonly failure: BlobWriteFailure) {
    super(failure.reason);
    this.name = 'BlobWriteError';
  }
}

/**
 * Where blob bytes live, addressed by SHA-256. Implementations stream (never hold a whole blob in
 * memory), store nothing when a write fails, and make a blob visible only once it is complete and
 * its digest checked. The local filesystem store is the default; an S3-compatible store implements
 * the same four calls.
 */
export interface BlobStore {
  /** Streams `source` in; when `expectedSha256` is given the stored digest must equal it. */
  write(source: Readable, options: { expectedSha256?: string; maxBytes: number }): Promise<StoredBlob>;
  /** A stream of the blob's bytes, or undefined when it is not stored. */
  read(sha256: string): Promise<Readable | undefined>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
}

export const BLOB_STORE = Symbol('BLOB_STORE');

/**
 * A stored blob's first `maxBytes` (all of it by default) in memory, for the checks that read
 * outputs (headers, decoded frames, rows); undefined when the store does not have it.
 */
export async function readBlobBytes(
  store: BlobStore,
  sha256: string,
  maxBytes = Infinity,
): Promise<Buffer | undefined> {
  const stream = await store.read(sha256);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= maxBytes) break; // leaving the loop closes the stream
  }
  return Buffer.concat(chunks).subarray(0, Math.min(length, maxBytes));
}
