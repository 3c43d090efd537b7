import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { sha256Hex, uploadBlob } from '../api/blobs';
import { useSession } from '../session';

export type Upload =
  | { phase: 'idle' }
  | { phase: 'hashing'; file: File }
  | { phase: 'uploading'; file: File; sha256: string; sent: number; total: number }
  | { phase: 'done'; file: File; sha256: string }
  | { phase: 'error'; file: File; error: ApiError };

/**
 * One file going up to /v1/blobs: hashed (SHA-256, WebCrypto), then uploaded with progress. A new
 * file replaces the one before (its upload is aborted), and so does leaving the page.
 */
export function useBlobUpload(): {
  upload: Upload;
  /** Resolves to the file's SHA-256 once it is stored; null if it failed (the state says why) or was replaced. */
  start: (file: File) => Promise<string | null>;
  reset: () => void;
} {
  const { apiKey } = useSession();
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const current = useRef<AbortController | null>(null);

  useEffect(() => () => current.current?.abort(), []);

  const start = useCallback(
    async (file: File): Promise<string | null> => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      setUpload({ phase: 'hashing', file });
      try {
        const sha256 = await sha256Hex(file);
        if (controller.signal.aborted) return null;
        setUpload({ phase: 'uploading', file, sha256, sent: 0, total: file.size });
        await uploadBlob(file, sha256, {
          apiKey,
          signal: controller.signal,
          onProgress: (sent, total) => setUpload({ phase: 'uploading', file, sha256, sent, total }),
        });
        if (controller.signal.aborted) return null;
        setUpload({ phase: 'done', file, sha256 });
        return sha256;
      } catch (error) {
        if (isAbort(error) || controller.signal.aborted) return null;
        setUpload({ phase: 'error', file, error: error instanceof ApiError ? error : networkError(error) });
        return null;
      }
    },
    [apiKey],
  );

  const reset = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setUpload({ phase: 'idle' });
  }, []);

  return { upload, start, reset };
}
