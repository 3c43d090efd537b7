import {
  ApiError,
  errorFromGraphQL,
  errorFromResponse,
  isAbort,
  networkError,
  type GraphQLErrorShape,
} from './errors';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface GraphQLClientOptions {
  /** Sent as `Authorization: Bearer <key>`; none for the public queries (market, providers). */
  apiKey?: string | null;
  /** The coordinator's origin; the page's own by default, as the coordinator serves the dashboard. */
  baseUrl?: string;
  fetch?: FetchLike;
}

/**
 * Queries and mutations over HTTP POST /graphql. Every failure becomes an ApiError carrying the
 * coordinator's code and field; a response with errors counts as failed even when it has partial
 * data, so a page never shows half an answer as if it were whole. Aborts pass through untouched.
 */
export class GraphQLClient {
  private readonly fetch: FetchLike;
  private readonly url: string;

  constructor(private readonly options: GraphQLClientOptions = {}) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.url = `${options.baseUrl ?? ''}/graphql`;
  }

  get apiKey(): string | null {
    return this.options.apiKey ?? null;
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...authorization(this.options.apiKey),
        },
        body: JSON.stringify({ query, variables }),
        signal,
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw networkError(error);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      if (isAbort(error)) throw error;
      throw networkError(error);
    }
    let body: { data?: T | null; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw errorFromResponse(res.status, res.statusText, text);
    }
    if (body.errors?.length) throw errorFromGraphQL(body.errors, res.status);
    if (!res.ok || body.data === undefined || body.data === null)
      throw errorFromResponse(res.status, res.statusText, text);
    return body.data;
  }
}

export function authorization(apiKey: string | null | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

export { ApiError };
