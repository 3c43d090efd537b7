import { useEffect, useState } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { fetchBlob } from '../api/blobs';
import { createLimiter } from '../lib/limiter';
import { useSession } from '../session';

/** Thumbnails load a few at a time, so a long job's grid does not flood the coordinator. */
const limit = createLimiter(4);

/**
 * An object URL for an API path that needs the API key (`/v1/blobs/<sha256>`), for <img src>.
 * Released when the component goes away or the path changes.
 */
export function useBlobUrl(path: string | null): { url: string | null; error: ApiError | null } {
  const { apiKey } = useSession();
  const [state, setState] = useState<{ path: string | null; url: string | null; error: ApiError | null }>({
    path: null,
    url: null,
    error: null,
  });

  useEffect(() => {
    if (!path) return;
    const controller = new AbortController();
    let url: string | null = null;
    limit(() =>
      controller.signal.aborted
        ? Promise.resolve(null)
        : fetchBlob(path, apiKey, { signal: controller.signal }),
    )
      .then((blob) => {
        if (!blob || controller.signal.aborted) return;
        url = URL.createObjectURL(blob);
        setState({ path, url, error: null });
      })
      .catch((error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        setState({ path, url: null, error: error instanceof ApiError ? error : networkError(error) });
      });
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [path, apiKey]);

  return state.path === path ? { url: state.url, error: state.error } : { url: null, error: null };
}
