import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { useSession } from '../session';

export interface QueryState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/**
 * Runs a query when the page opens and when its variables change, and every `pollMs` after that
 * (skipped while the tab is hidden). A failed refresh keeps the data shown and reports the error
 * beside it; a request still running when the page closes is aborted.
 */
export function useQuery<T>(
  query: string,
  variables: Record<string, unknown> = {},
  opts: { pollMs?: number; skip?: boolean } = {},
): QueryState<T> {
  const { client } = useSession();
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({
    data: null,
    error: null,
    loading: !opts.skip,
  });
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  const variablesRef = useRef(variables);
  variablesRef.current = variables;
  const hasData = useRef(false);

  useEffect(() => {
    if (opts.skip) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.visibilityState !== 'hidden' || !hasData.current) {
        try {
          const data = await client.request<T>(query, variablesRef.current, controller.signal);
          hasData.current = true;
          setState({ data, error: null, loading: false });
        } catch (error) {
          if (isAbort(error)) return;
          const apiError = error instanceof ApiError ? error : networkError(error);
          setState((s) => ({ data: s.data, error: apiError, loading: false }));
        }
      }
      if (opts.pollMs && !controller.signal.aborted) timer = setTimeout(run, opts.pollMs);
    };
    setState((s) => ({ ...s, loading: true }));
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [client, query, key, opts.pollMs, opts.skip, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
