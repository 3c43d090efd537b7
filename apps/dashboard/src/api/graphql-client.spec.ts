import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './errors';
import { GraphQLClient, type FetchLike } from './graphql-client';

function respond(status: number, body: unknown, statusText = ''): FetchLike {
  return vi.fn(
    async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, statusText }),
  );
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the request to fail');
}

describe('GraphQLClient', () => {
  it('POSTs the document and variables to /graphql with the API key as a bearer token', async () => {
    const fetch = respond(200, { data: { me: { id: 'a1' } } });
    const sut = new GraphQLClient({ apiKey: 'tsk_secret', fetch });

    await expect(sut.request('query Me { me { id } }', { x: 1 })).resolves.toEqual({ me: { id: 'a1' } });

    const [url, init] = vi.mocked(fetch).mock.calls[0];
    expect(url).toBe('/graphql');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({
      authorization: 'Bearer tsk_secret',
      'content-type': 'application/json',
    });
    expect(JSON.parse(init.body as string)).toEqual({ query: 'query Me { me { id } }', variables: { x: 1 } });
  });

  it('sends no Authorization header without a key (public queries)', async () => {
    const fetch = respond(200, { data: { marketPrices: { currency: 'TSR' } } });
    await new GraphQLClient({ fetch, baseUrl: 'http://coordinator:8080' }).request(
      '{ marketPrices { currency } }',
    );
    const [url, init] = vi.mocked(fetch).mock.calls[0];
    expect(url).toBe('http://coordinator:8080/graphql');
    expect(init.headers).not.toHaveProperty('authorization');
  });

  it("keeps the coordinator's code and the field at fault, for the form to show next to it", async () => {
    const sut = new GraphQLClient({
      fetch: respond(200, {
        data: null,
        errors: [
          {
            message: "FRAMES_OUT_OF_RANGE: frames 9-12 are outside the scene's range 1-8",
            extensions: { code: 'FRAMES_OUT_OF_RANGE', field: 'frames' },
          },
        ],
      }),
    });
    const error = await failure(sut.request('mutation { x }'));
    expect(error.code).toBe('FRAMES_OUT_OF_RANGE');
    expect(error.field).toBe('frames');
    expect(error.message).toBe("FRAMES_OUT_OF_RANGE: frames 9-12 are outside the scene's range 1-8");
    expect(error.detail).toBe("frames 9-12 are outside the scene's range 1-8");
  });

  it('treats partial data with errors as a failure', async () => {
    const sut = new GraphQLClient({
      fetch: respond(200, {
        data: { job: null },
        errors: [
          { message: 'JOB_NOT_FOUND: no job j1 in your account', extensions: { code: 'JOB_NOT_FOUND' } },
        ],
      }),
    });
    const error = await failure(sut.request('{ job(id: "j1") { id } }'));
    expect(error.notFound).toBe(true);
    expect(error.message).toBe('JOB_NOT_FOUND: no job j1 in your account');
  });

  it('puts the code in front of messages that lack it (Apollo validation errors)', async () => {
    const sut = new GraphQLClient({
      fetch: respond(400, {
        errors: [
          {
            message: 'Cannot query field "nope" on type "Query".',
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      }),
    });
    const error = await failure(sut.request('{ nope }'));
    expect(error.message).toBe('GRAPHQL_VALIDATION_FAILED: Cannot query field "nope" on type "Query".');
    expect(error.status).toBe(400);
  });

  it('reports a refused key (401 from the auth middleware) as UNAUTHENTICATED', async () => {
    const sut = new GraphQLClient({
      apiKey: 'tsk_wrong',
      fetch: respond(401, {
        errors: [
          { message: 'UNAUTHENTICATED: the API key is not valid', extensions: { code: 'UNAUTHENTICATED' } },
        ],
      }),
    });
    const error = await failure(sut.request('{ me { id } }'));
    expect(error.unauthenticated).toBe(true);
  });

  it('describes a non-JSON answer (a proxy error page) by its status', async () => {
    const sut = new GraphQLClient({
      fetch: respond(502, '<html><body>Bad gateway</body></html>', 'Bad Gateway'),
    });
    const error = await failure(sut.request('{ me { id } }'));
    expect(error.code).toBe('HTTP_502');
    expect(error.message).toBe('HTTP_502: the coordinator answered 502 Bad Gateway: Bad gateway');
  });

  it('says the coordinator could not be reached when fetch itself fails', async () => {
    const sut = new GraphQLClient({
      fetch: vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    });
    const error = await failure(sut.request('{ me { id } }'));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('cannot reach the coordinator (Failed to fetch)');
  });

  it('lets an abort through untouched, so a closed page does not report an error', async () => {
    const controller = new AbortController();
    const sut = new GraphQLClient({
      fetch: vi.fn(async (_url, init) => {
        controller.abort();
        init.signal?.throwIfAborted();
        return new Response('{}');
      }),
    });
    await expect(sut.request('{ me { id } }', {}, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
