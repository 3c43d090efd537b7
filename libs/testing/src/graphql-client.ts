import { createClient, Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResult<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** POSTs a GraphQL operation; returns data and errors as the server sent them. */
export async function gqlRaw<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  apiKey?: string,
): Promise<GraphQLResult<T> & { status: number }> {
  const res = await fetch(new URL('/graphql', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as GraphQLResult<T>) };
}

/** Like gqlRaw, but throws on any error: for steps a test expects to succeed. */
export async function gql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  apiKey?: string,
): Promise<T> {
  const result = await gqlRaw<T>(baseUrl, query, variables, apiKey);
  if (result.errors?.length || !result.data) {
    throw new Error(`GraphQL error: ${JSON.stringify(result.errors ?? result)}`);
  }
  return result.data;
}

/** One job, with the fields `selection` asks for. */
export async function fetchJob<T>(
  baseUrl: string,
  apiKey: string,
  id: string,
  selection: string,
): Promise<T> {
  return (await gql<{ job: T }>(baseUrl, `query($id: ID!) { job(id: $id) { ${selection} } }`, { id }, apiKey))
    .job;
}

/** Polls a job until it is COMPLETED, FAILED or CANCELLED; `selection` must include state and progress. */
export async function waitForJobEnd<T extends { state: string; progress?: unknown }>(
  baseUrl: string,
  apiKey: string,
  id: string,
  selection: string,
  opts: { timeoutMs: number; pollMs: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const view = await fetchJob<T>(baseUrl, apiKey, id, selection);
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(view.state)) return view;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(view.progress)}`);
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}

export async function createAccount(
  baseUrl: string,
  name = 'test',
): Promise<{ apiKey: string; accountId: string }> {
  const data = await gql<{ createAccount: { apiKey: string; account: { id: string } } }>(
    baseUrl,
    `mutation($name: String!) { createAccount(input: { name: $name }) { apiKey account { id } } }`,
    { name },
  );
  return { apiKey: data.createAccount.apiKey, accountId: data.createAccount.account.id };
}

/** A graphql-ws client authenticated with an API key. */
export function subscriptionClient(baseUrl: string, apiKey: string): WsClient {
  return createClient({
    url: new URL('/graphql', baseUrl.replace(/^http/, 'ws')).toString(),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiKey}` },
    retryAttempts: 0,
  });
}

/** Collects subscription events until `until` returns true for one (which is included), or times out. */
export function collectUntil<T>(
  client: WsClient,
  query: string,
  variables: Record<string, unknown>,
  until: (event: T) => boolean,
  timeoutMs: number,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const events: T[] = [];
    const timer = setTimeout(() => {
      dispose();
      reject(
        new Error(`subscription timed out after ${timeoutMs} ms; got ${JSON.stringify(events.slice(-3))}`),
      );
    }, timeoutMs);
    const dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) {
            clearTimeout(timer);
            dispose();
            reject(new Error(JSON.stringify(value.errors)));
            return;
          }
          const event = value.data as T;
          events.push(event);
          if (until(event)) {
            clearTimeout(timer);
            dispose();
            resolve(events);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(events);
        },
      },
    );
  });
}

/** Uploads bytes to the blob API; returns status and parsed body. */
export async function uploadBlob(
  baseUrl: string,
  bytes: Buffer,
  apiKey: string,
  sha256?: string,
): Promise<{
  status: number;
  body: { sha256?: string; size?: number; error?: { code: string; message: string } };
}> {
  const res = await fetch(new URL(sha256 ? `/v1/blobs/${sha256}` : '/v1/blobs', baseUrl), {
    method: sha256 ? 'PUT' : 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as never };
}

export async function downloadBlob(
  baseUrl: string,
  sha256: string,
  apiKey: string,
): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(new URL(`/v1/blobs/${sha256}`, baseUrl), {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}
