import bs58 from 'bs58';
import { FEATURE_SET, LITESVM_VERSION, SOLANA_CORE_VERSION } from '../constants';
import { Commitment } from '../bank/slot-clock';

/** JSON-RPC error codes: the standard ones and those Agave's RPC uses for the same situations. */
export enum RpcErrorCode {
  ParseError = -32700,
  InvalidRequest = -32600,
  MethodNotFound = -32601,
  InvalidParams = -32602,
  InternalError = -32603,
  BlockNotAvailable = -32004,
  SendTransactionPreflightFailure = -32002,
  TransactionSignatureVerificationFailure = -32003,
  UnsupportedTransactionVersion = -32015,
  MinContextSlotNotReached = -32016,
}

export class JsonRpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  static invalidParams(message: string): JsonRpcError {
    return new JsonRpcError(RpcErrorCode.InvalidParams, message);
  }
}

export type RpcHandler = (params: unknown[]) => unknown;
export type RpcMethods = Record<string, RpcHandler>;

/** `{context: {slot}, value}`, the envelope devnet puts around most answers. */
export function withContext<T>(
  slot: number,
  value: T,
): { context: { apiVersion: string; slot: number }; value: T } {
  return { context: { apiVersion: SOLANA_CORE_VERSION, slot }, value };
}

export const VERSION_INFO = {
  'solana-core': SOLANA_CORE_VERSION,
  'feature-set': FEATURE_SET,
  litesvm: LITESVM_VERSION,
};

// ---- parameters ----------------------------------------------------------------------------------

export type RpcConfig = Record<string, unknown>;

export function param(params: unknown[], index: number, name: string): unknown {
  if (params.length <= index || params[index] === undefined) {
    throw JsonRpcError.invalidParams(`Invalid params: missing ${name}`);
  }
  return params[index];
}

export function stringParam(params: unknown[], index: number, name: string): string {
  const value = param(params, index, name);
  if (typeof value !== 'string') throw JsonRpcError.invalidParams(`Invalid params: ${name} must be a string`);
  return value;
}

/** The trailing configuration object, `{}` when absent. */
export function configParam(params: unknown[], index: number): RpcConfig {
  const value = params[index];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw JsonRpcError.invalidParams('Invalid params: expected a configuration object');
  }
  return value as RpcConfig;
}

/** A base58 public key; devnet's wording for a bad one. */
export function pubkeyParam(params: unknown[], index: number, name = 'pubkey'): string {
  return parsePubkey(stringParam(params, index, name));
}

export function parsePubkey(value: unknown): string {
  if (typeof value !== 'string') throw JsonRpcError.invalidParams('Invalid param: Invalid');
  let bytes: Uint8Array;
  try {
    bytes = bs58.decode(value);
  } catch {
    throw JsonRpcError.invalidParams('Invalid param: Invalid');
  }
  if (bytes.length !== 32) throw JsonRpcError.invalidParams('Invalid param: WrongSize');
  return value;
}

export function parseSignature(value: unknown): string {
  let bytes: Uint8Array | undefined;
  try {
    bytes = typeof value === 'string' ? bs58.decode(value) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes?.length !== 64) throw JsonRpcError.invalidParams('Invalid param: Invalid');
  return value as string;
}

const LEGACY_COMMITMENTS: Record<string, Commitment> = {
  recent: 'processed',
  single: 'confirmed',
  singleGossip: 'confirmed',
  max: 'finalized',
  root: 'finalized',
};

/** The commitment a request asks for; devnet's default is `finalized`. */
export function commitmentOf(config: RpcConfig, fallback: Commitment = 'finalized'): Commitment {
  const value = config.commitment;
  if (value === undefined || value === null) return fallback;
  if (value === 'processed' || value === 'confirmed' || value === 'finalized') return value;
  if (typeof value === 'string' && LEGACY_COMMITMENTS[value]) return LEGACY_COMMITMENTS[value];
  throw JsonRpcError.invalidParams(`Invalid params: unknown variant \`${String(value)}\``);
}

/** Methods over finished transactions refuse `processed`, as devnet does. */
export function confirmedCommitmentOf(config: RpcConfig): Commitment {
  const commitment = commitmentOf(config);
  if (commitment === 'processed') {
    throw JsonRpcError.invalidParams('Method does not support commitment below `confirmed`');
  }
  return commitment;
}

export function checkMinContextSlot(config: RpcConfig, contextSlot: number): void {
  const min = config.minContextSlot;
  if (typeof min === 'number' && contextSlot < min) {
    throw new JsonRpcError(
      RpcErrorCode.MinContextSlotNotReached,
      'Minimum context slot has not been reached',
      {
        contextSlot,
      },
    );
  }
}

export function integerOption(config: RpcConfig, name: string): number | undefined {
  const value = config[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw JsonRpcError.invalidParams(`Invalid params: ${name} must be a non-negative integer`);
  }
  return value;
}

// ---- serialisation -------------------------------------------------------------------------------

const BIGINT_MARK = '\u0000bigint:';

/**
 * JSON with u64 values exact: lamports and `rentEpoch` (u64::MAX) can exceed 2^53, and devnet writes
 * them as plain integers, so bigints are written the same way instead of being rounded.
 */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? `${BIGINT_MARK}${item.toString()}` : item,
  ).replace(/"\\u0000bigint:(\d+)"/g, '$1');
}
