import type { CliConfig } from '../config/cli-config';
import {
  apiError,
  authHeader,
  endpoint,
  errorLineFromBody,
  graphqlErrorLine,
  unreachable,
} from './http-errors';

/** Submitting a render opens the scene in a sandbox on the coordinator first: allow it time. */
const REQUEST_TIMEOUT_MS = 180_000;

/**
 * Queries and mutations over HTTP POST /graphql. Any GraphQL or HTTP error becomes a CliError with
 * the coordinator's own `CODE: what to fix` line; partial data with errors counts as an error.
 */
export class GraphQLClient {
  constructor(private readonly config: CliConfig) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(endpoint(this.config, '/graphql'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...authHeader(this.config),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.config, error);
    }
    const text = await res.text().catch(() => '');
    let body: { data?: T | null; errors?: { message?: string; extensions?: { code?: unknown } }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw apiError(errorLineFromBody(res.status, res.statusText, text), this.config);
    }
    if (body.errors?.length) throw apiError(graphqlErrorLine(body.errors), this.config);
    if (!res.ok || body.data === undefined || body.data === null)
      throw apiError(errorLineFromBody(res.status, res.statusText, text), this.config);
    return body.data;
  }
}
