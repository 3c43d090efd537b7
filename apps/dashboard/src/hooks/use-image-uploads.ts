import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { sha256Hex, uploadBlob } from '../api/blobs';
import { BLOB_UPLOAD_PLAN } from '../api/operations';
import { looksLikeImage, showHead, type ImageFailure, type ImagesProgress } from '../lib/inference-images';
import { formatBytes } from '../lib/format';
import { createLimiter } from '../lib/limiter';
import { useSession } from '../session';

export type ImagesUpload =
  | { phase: 'idle' }
  | { phase: 'working'; progress: ImagesProgress }
  | { phase: 'done'; images: number; uploaded: number; bytes: number }
  | { phase: 'error'; failures: ImageFailure[]; retryable: boolean };

/** Images are many and small: a few transfers in flight keep the connection busy (as the CLI does). */
const CONCURRENCY = 4;

/** Digests per blobUploadPlan request (the coordinator's limit). */
const PLAN_BATCH = 1000;

/**
 * The picked images a batch names, made blobs: each read once to check it is a PNG or JPEG and
 * hash it (WebCrypto), then the coordinator asked which contents it lacks (blobUploadPlan: one
 * request per thousand, and no failed request in the console per missing file, as HEAD would log),
 * and each of those uploaded once, with one progress over all of them. Digests and what is known to be stored
 * are remembered, so a retry sends only what failed. A new call, or leaving the page, aborts the one
 * before.
 */
export function useImageUploads(): {
  state: ImagesUpload;
  /**
   * The SHA-256 of each file named by index, once all are stored; the failures (also in `state`) if
   * any file could not be read or sent, with nothing sent when one could not be read; null when
   * replaced.
   */
  send: (
    files: readonly File[],
    indexes: readonly number[],
  ) => Promise<Map<number, string> | ImageFailure[] | null>;
  reset: () => void;
} {
  const { apiKey, client } = useSession();
  const [state, setState] = useState<ImagesUpload>({ phase: 'idle' });
  const current = useRef<AbortController | null>(null);
  const digests = useRef(new WeakMap<File, string>());
  const stored = useRef(new Set<string>());

  useEffect(() => () => current.current?.abort(), []);
  // What one key's account holds says nothing about another's.
  useEffect(() => stored.current.clear(), [apiKey]);

  const send = useCallback(
    async (files: readonly File[], indexes: readonly number[]) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      const { signal } = controller;
      const limit = createLimiter(CONCURRENCY);
      const failures: ImageFailure[] = [];
      const total = indexes.length;

      // 1. Read each file once: is it an image, and its digest.
      const hashes = new Map<number, string>();
      const progress: ImagesProgress = {
        step: 'hashing',
        done: 0,
        total,
        sent: 0,
        bytes: indexes.reduce((sum, i) => sum + (digests.current.has(files[i]) ? 0 : files[i].size), 0),
      };
      const show = () => setState({ phase: 'working', progress: { ...progress } });
      show();
      await Promise.all(
        indexes.map((i) =>
          limit(async () => {
            if (signal.aborted) return;
            const file = files[i];
            try {
              let sha256 = digests.current.get(file);
              if (!sha256) {
                const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
                if (!looksLikeImage(head))
                  return void failures.push({
                    file: i,
                    message: `is not a PNG or JPEG: it starts with ${showHead(head)}`,
                  });
                sha256 = await sha256Hex(file);
                digests.current.set(file, sha256);
                progress.sent += file.size;
              }
              hashes.set(i, sha256);
              progress.done++;
              show();
            } catch (error) {
              failures.push({ file: i, message: `cannot be read: ${(error as Error).message}` });
            }
          }),
        ),
      );
      if (signal.aborted) return null;
      if (failures.length) {
        setState({ phase: 'error', failures, retryable: false });
        return failures;
      }

      // 2. Each distinct content once: two files with the same bytes are one blob.
      const byHash = new Map<string, number>();
      for (const i of indexes) if (!byHash.has(hashes.get(i)!)) byHash.set(hashes.get(i)!, i);
      Object.assign(progress, { step: 'checking', done: 0, sent: 0, bytes: 0 });
      show();
      const missing: [string, number][] = [];
      const fail = (file: number, what: string, error: unknown): void => {
        const apiError = error instanceof ApiError ? error : networkError(error);
        failures.push({ file, message: `${what}: ${apiError.message}` });
      };
      const unknown = [...byHash].filter(([sha256]) => !stored.current.has(sha256));
      let tooLarge = false;
      try {
        for (let at = 0; at < unknown.length; at += PLAN_BATCH) {
          const batch = unknown.slice(at, at + PLAN_BATCH);
          const { blobUploadPlan } = await client.request<{
            blobUploadPlan: { missing: string[]; maxBytes: number };
          }>(BLOB_UPLOAD_PLAN, { sha256: batch.map(([sha256]) => sha256) }, signal);
          const lacking = new Set(blobUploadPlan.missing);
          for (const [sha256, i] of batch) {
            if (!lacking.has(sha256)) stored.current.add(sha256);
            // The coordinator's own limit, which may be lower than the form's.
            else if (files[i].size > blobUploadPlan.maxBytes) {
              tooLarge = true;
              failures.push({
                file: i,
                message: `is ${formatBytes(files[i].size)}, over this coordinator's ${formatBytes(blobUploadPlan.maxBytes)} limit for one file`,
              });
            } else missing.push([sha256, i]);
          }
        }
      } catch (error) {
        if (!isAbort(error)) for (const [, i] of unknown) fail(i, 'could not be checked', error);
      }
      if (signal.aborted) return null;
      if (failures.length) {
        // Too large is final; only a failed check is worth retrying.
        setState({ phase: 'error', failures, retryable: !tooLarge });
        return failures;
      }

      // 3. Upload what the coordinator lacks, with one bar over all the bytes to send.
      const sentBy = new Map<string, number>();
      const countStored = () => [...byHash.keys()].filter((sha256) => stored.current.has(sha256)).length;
      Object.assign(progress, {
        step: 'uploading',
        done: countStored(),
        total: byHash.size,
        sent: 0,
        bytes: missing.reduce((sum, [, i]) => sum + files[i].size, 0),
      });
      show();
      await Promise.all(
        missing.map(([sha256, i]) =>
          limit(async () => {
            if (signal.aborted) return;
            try {
              await uploadBlob(files[i], sha256, {
                apiKey,
                signal,
                onProgress: (sent) => {
                  sentBy.set(sha256, sent);
                  progress.sent = [...sentBy.values()].reduce((a, b) => a + b, 0);
                  show();
                },
              });
              stored.current.add(sha256);
              progress.done = countStored();
              show();
            } catch (error) {
              if (!isAbort(error)) fail(i, 'did not upload', error);
            }
          }),
        ),
      );
      if (signal.aborted) return null;
      if (failures.length) {
        setState({ phase: 'error', failures, retryable: true });
        return failures;
      }
      setState({ phase: 'done', images: total, uploaded: missing.length, bytes: progress.bytes });
      return hashes;
    },
    [apiKey, client],
  );

  const reset = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setState({ phase: 'idle' });
  }, []);

  return { state, send, reset };
}
