import { JsonRpcError, RpcErrorCode, stringifyJson } from './json-rpc';
import { RpcDispatcher } from './rpc-server';

describe('RpcDispatcher', () => {
  const unexpected: unknown[] = [];
  const sut = new RpcDispatcher(
    {
      echo: (params) => params,
      big: () => ({ lamports: 18_446_744_073_709_551_615n }),
      refuse: () => {
        throw JsonRpcError.invalidParams('Invalid param: WrongSize');
      },
      crash: () => {
        throw new Error('bug');
      },
    },
    (error) => unexpected.push(error),
  );
  const call = (body: unknown) => JSON.parse(sut.handleBody(JSON.stringify(body))!);

  it('answers a request with its id and result', () => {
    expect(call({ jsonrpc: '2.0', id: 7, method: 'echo', params: [1, 'a'] })).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: [1, 'a'],
    });
  });

  it('answers a batch with one response per request', () => {
    const responses = call([
      { jsonrpc: '2.0', id: 1, method: 'echo', params: [1] },
      { jsonrpc: '2.0', id: 2, method: 'nope' },
    ]);
    expect(responses).toEqual([
      { jsonrpc: '2.0', id: 1, result: [1] },
      { jsonrpc: '2.0', id: 2, error: { code: RpcErrorCode.MethodNotFound, message: 'Method not found' } },
    ]);
  });

  it('maps refusals to their code and hides unexpected errors behind -32603, reporting them once', () => {
    expect(call({ jsonrpc: '2.0', id: 1, method: 'refuse' }).error).toEqual({
      code: -32602,
      message: 'Invalid param: WrongSize',
    });
    expect(call({ jsonrpc: '2.0', id: 2, method: 'crash' }).error).toEqual({
      code: -32603,
      message: 'Internal error',
    });
    expect(unexpected).toHaveLength(1);
  });

  it('refuses what is not JSON-RPC', () => {
    expect(JSON.parse(sut.handleBody('{not json')!).error.code).toBe(RpcErrorCode.ParseError);
    expect(call({ id: 1, method: 'echo' }).error.code).toBe(RpcErrorCode.InvalidRequest);
    expect(call({ jsonrpc: '2.0', id: 1, method: 'toString' }).error.code).toBe(RpcErrorCode.MethodNotFound);
  });

  it('writes u64 values exactly', () => {
    expect(sut.handleBody(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'big' }))).toBe(
      '{"jsonrpc":"2.0","result":{"lamports":18446744073709551615},"id":1}',
    );
  });
});

describe('stringifyJson', () => {
  it('leaves strings that look like the marker alone', () => {
    expect(stringifyJson({ a: 'bigint:1', b: 2n })).toBe('{"a":"bigint:1","b":2}');
  });
});
