import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { CliError } from '../cli-error';
import type { CliConfig } from '../config/cli-config';
import { apiError, endpoint, graphqlErrorLine, unreachable } from './http-errors';
import { JOB_EVENTS, JobEventView } from './operations';

/** graphql-ws close code the coordinator uses when it refuses the connection's API key. */
const FORBIDDEN = 4403;

/**
 * Follows `jobEvents(jobId)` over graphql-ws. The first event is the job's current state; a
 * connection that drops after it was established is retried (a few times, backing off) and resumes
 * with the current state again, so consumers must treat events as snapshots. Ends when `signal`
 * aborts or the caller stops iterating; errors arrive as CliErrors.
 */
export async function* jobEvents(
  config: CliConfig,
  jobId: string,
  signal?: AbortSignal,
): AsyncGenerator<JobEventView> {
  let connectedOnce = false;
  const client = createClient({
    url: endpoint(config, '/graphql').replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {},
    on: { connected: () => (connectedOnce = true) },
    // Once connected, ride out a dropped connection or a coordinator restart (graphql-ws backs off
    // exponentially: about 30 s over 5 attempts). Before that, fail at once: a wrong URL should say
    // so now. A refused key stays refused (graphql-ws would retry 4403: "might grant access later").
    retryAttempts: 5,
    shouldRetry: (e) => connectedOnce && !(isCloseEvent(e) && e.code === FORBIDDEN),
  });
  const events = client.iterate<{ jobEvents: JobEventView }>({ query: JOB_EVENTS, variables: { jobId } });
  const stop = () => void events.return?.(undefined);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    while (!signal?.aborted) {
      let next: IteratorResult<{ data?: { jobEvents: JobEventView } | null; errors?: readonly unknown[] }>;
      try {
        next = await events.next();
      } catch (error) {
        throw subscriptionError(config, error);
      }
      if (next.done) return;
      if (next.value.errors?.length) throw apiError(graphqlErrorLine(next.value.errors as never[]), config);
      if (next.value.data?.jobEvents) yield next.value.data.jobEvents;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    await events.return?.(undefined);
    await client.dispose();
  }
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

/** graphql-ws rejects with GraphQL errors, a CloseEvent or a socket error event: one line for each. */
function subscriptionError(config: CliConfig, error: unknown): CliError {
  if (Array.isArray(error)) return apiError(graphqlErrorLine(error), config);
  if (isCloseEvent(error)) {
    if (error.code === FORBIDDEN)
      return apiError('UNAUTHENTICATED: the coordinator refused the API key for live updates', config);
    return new CliError(
      `the live connection to ${config.url} closed (${error.code}${error.reason ? ` ${error.reason}` : ''})`,
    );
  }
  const inner = (error as { error?: unknown })?.error;
  return unreachable(config, inner ?? error);
}
