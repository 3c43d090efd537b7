import { createClient, type Client } from 'graphql-ws';
import { ApiError, errorFromGraphQL, networkError, type GraphQLErrorShape } from './errors';

/** graphql-ws close code the coordinator uses when it refuses the connection's API key. */
const FORBIDDEN = 4403;

/** ws(s)://<this origin>/graphql: the coordinator serves subscriptions on the GraphQL path. */
export function liveUrl(location: { protocol: string; host: string } = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`;
}

/**
 * One graphql-ws connection per signed-in key, opened when the first subscription starts and closed
 * when the last ends. A dropped connection is retried with backoff and subscriptions resume; events
 * are snapshots (the first is the current state), so nothing is lost across a reconnect. A refused
 * key is not retried.
 */
export function createLiveClient(apiKey: string, url: string = liveUrl()): Client {
  return createClient({
    url,
    connectionParams: { authorization: `Bearer ${apiKey}` },
    lazy: true,
    retryAttempts: 20,
    shouldRetry: (event) => !(isCloseEvent(event) && event.code === FORBIDDEN),
    keepAlive: 20_000,
  });
}

export interface LiveHandlers<T> {
  next(data: T): void;
  error(error: ApiError): void;
}

/** Subscribes; returns the function that stops it. Errors arrive as ApiErrors. */
export function subscribe<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  handlers: LiveHandlers<T>,
): () => void {
  return client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) handlers.error(errorFromGraphQL(result.errors as GraphQLErrorShape[]));
        else if (result.data) handlers.next(result.data as T);
      },
      error: (error) => handlers.error(liveError(error)),
      complete: () => undefined,
    },
  );
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

/** graphql-ws fails with GraphQL errors, a CloseEvent or an Event: one ApiError for each. */
export function liveError(error: unknown): ApiError {
  if (Array.isArray(error)) return errorFromGraphQL(error as GraphQLErrorShape[]);
  if (isCloseEvent(error)) {
    if (error.code === FORBIDDEN)
      return new ApiError(
        'UNAUTHENTICATED',
        'UNAUTHENTICATED: the coordinator refused the API key for live updates',
      );
    return new ApiError(
      'LIVE_CLOSED',
      `LIVE_CLOSED: live updates stopped (${error.code}${error.reason ? ` ${error.reason}` : ''}); reload to resume`,
    );
  }
  return networkError(new Error('live updates lost their connection'));
}
