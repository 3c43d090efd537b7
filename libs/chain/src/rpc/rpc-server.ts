import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { JsonRpcError, RpcErrorCode, RpcMethods, stringifyJson } from './json-rpc';

/** 50 MB, as a generous cap on a batch; single requests are far smaller. */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

interface JsonRpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export type UnexpectedErrorHandler = (error: unknown, method: string) => void;

/** Runs JSON-RPC requests against a method table; single requests and batches. */
export class RpcDispatcher {
  constructor(
    private readonly methods: RpcMethods,
    private readonly onUnexpected: UnexpectedErrorHandler,
  ) {}

  /** The response body for a request body, or null when there is nothing to answer (only notifications). */
  handleBody(body: string): string | null {
    let request: unknown;
    try {
      request = JSON.parse(body);
    } catch {
      return stringifyJson(errorResponse(null, new JsonRpcError(RpcErrorCode.ParseError, 'Parse error')));
    }
    if (Array.isArray(request)) {
      if (request.length === 0) {
        return stringifyJson(
          errorResponse(null, new JsonRpcError(RpcErrorCode.InvalidRequest, 'Invalid request')),
        );
      }
      const responses = request.map((item) => this.handle(item)).filter((response) => response !== null);
      return responses.length > 0 ? stringifyJson(responses) : null;
    }
    const response = this.handle(request);
    return response === null ? null : stringifyJson(response);
  }

  handle(request: unknown): object | null {
    const { jsonrpc, id = null, method, params = [] } = (request ?? {}) as JsonRpcRequest;
    if (jsonrpc !== '2.0' || typeof method !== 'string' || (params !== null && typeof params !== 'object')) {
      return errorResponse(id, new JsonRpcError(RpcErrorCode.InvalidRequest, 'Invalid request'));
    }
    const handler = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    if (!handler) return errorResponse(id, new JsonRpcError(RpcErrorCode.MethodNotFound, 'Method not found'));
    if (!Array.isArray(params)) {
      return errorResponse(id, JsonRpcError.invalidParams('Invalid params: expected an array of parameters'));
    }
    try {
      return { jsonrpc: '2.0', result: handler(params), id };
    } catch (error) {
      if (error instanceof JsonRpcError) return errorResponse(id, error);
      this.onUnexpected(error, method);
      return errorResponse(id, new JsonRpcError(RpcErrorCode.InternalError, 'Internal error'));
    }
  }
}

function errorResponse(id: unknown, error: JsonRpcError): object {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.data !== undefined) body.data = error.data;
  return { jsonrpc: '2.0', error: body, id };
}

/**
 * Idle keep-alive connections stay open this long. Node's default (5 s) races clients that reuse a
 * connection just as the server drops it (undici then fails with "other side closed"); a long
 * server timeout, announced in the Keep-Alive header, lets the client close idle sockets first.
 */
const KEEP_ALIVE_MS = 60_000;

/** Solana's HTTP JSON-RPC endpoint: POST anywhere, plus `GET /health`. */
export function createRpcHttpServer(dispatcher: RpcDispatcher): Server {
  const server = createServer((request, response) => {
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, solana-client',
      });
      return response.end();
    }
    if (request.method === 'GET' && request.url === '/health') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      return response.end('ok');
    }
    if (request.method !== 'POST') {
      response.writeHead(405, { Allow: 'POST' });
      return response.end();
    }
    readBody(request, response, (body) => {
      const answer = dispatcher.handleBody(body);
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(answer ?? '');
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
  return server;
}

function readBody(request: IncomingMessage, response: ServerResponse, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.writeHead(413).end();
      request.destroy();
      return;
    }
    chunks.push(chunk);
  });
  request.on('end', () => {
    if (size <= MAX_BODY_BYTES) done(Buffer.concat(chunks).toString('utf8'));
  });
}
