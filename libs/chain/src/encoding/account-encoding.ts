import bs58 from 'bs58';
import { TOKEN_2022_PROGRAM_ID } from '../constants';
import { AccountState } from '../bank/svm';
import { JsonRpcError, RpcConfig, RpcErrorCode } from '../rpc/json-rpc';
import { uiTokenAmount } from './token-amount';
import {
  decodeMint,
  decodeMultisig,
  decodeTokenAccount,
  isTokenProgram,
  tokenAccountKind,
} from './token-layout';

/** `binary` is devnet's legacy default: base58 as a bare string. */
export type AccountEncoding = 'binary' | 'base64' | 'base58' | 'jsonParsed';

export interface AccountEncodingOptions {
  encoding: AccountEncoding;
  dataSlice?: { offset: number; length: number };
}

export interface ParsedAccountData {
  program: string;
  parsed: { type: string; info: Record<string, unknown> };
  space: number;
}

export interface UiAccount {
  data: string | [string, 'base64' | 'base58'] | ParsedAccountData;
  executable: boolean;
  lamports: bigint;
  owner: string;
  rentEpoch: bigint;
  space: number;
}

/** Reads the mint of a token account, for its decimals. */
export type MintLoader = (address: string) => AccountState | null;

const MAX_BASE58_BYTES = 128;

/** The `encoding` and `dataSlice` options of account methods (devnet's default is `binary`). */
export function accountEncodingOf(
  config: RpcConfig,
  fallback: AccountEncoding = 'binary',
): AccountEncodingOptions {
  const encoding = config.encoding ?? fallback;
  if (encoding === 'base64+zstd') {
    throw JsonRpcError.invalidParams('Invalid params: base64+zstd is not supported by the local chain');
  }
  if (encoding !== 'binary' && encoding !== 'base64' && encoding !== 'base58' && encoding !== 'jsonParsed') {
    throw JsonRpcError.invalidParams(`Invalid params: unknown variant \`${String(encoding)}\``);
  }
  const slice = config.dataSlice as { offset?: unknown; length?: unknown } | undefined;
  if (slice === undefined || slice === null) return { encoding };
  if (typeof slice.offset !== 'number' || typeof slice.length !== 'number') {
    throw JsonRpcError.invalidParams('Invalid params: dataSlice needs an offset and a length');
  }
  return { encoding, dataSlice: { offset: slice.offset, length: slice.length } };
}

/** An account as devnet's getAccountInfo returns it in the requested encoding. */
export function encodeAccount(
  account: AccountState,
  options: AccountEncodingOptions,
  loadMint: MintLoader,
): UiAccount {
  const base = {
    executable: account.executable,
    lamports: account.lamports,
    owner: account.owner,
    rentEpoch: account.rentEpoch,
    space: account.data.length,
  };
  if (options.encoding === 'jsonParsed') {
    const parsed = parseAccountData(account, loadMint);
    // Devnet falls back to base64 for data it cannot parse.
    return { ...base, data: parsed ?? [account.data.toString('base64'), 'base64'] };
  }
  const { dataSlice } = options;
  const data = dataSlice
    ? account.data.subarray(dataSlice.offset, dataSlice.offset + dataSlice.length)
    : account.data;
  if (options.encoding === 'base58' || options.encoding === 'binary') {
    if (data.length > MAX_BASE58_BYTES) {
      throw new JsonRpcError(
        RpcErrorCode.InvalidRequest,
        `Encoded binary (base 58) data should be less than ${MAX_BASE58_BYTES} bytes, please use Base64 encoding.`,
      );
    }
    return {
      ...base,
      data: options.encoding === 'binary' ? bs58.encode(data) : [bs58.encode(data), 'base58'],
    };
  }
  return { ...base, data: [data.toString('base64'), 'base64'] };
}

/** SPL Token accounts, mints and multisigs in devnet's jsonParsed shape; null for anything else. */
export function parseAccountData(account: AccountState, loadMint: MintLoader): ParsedAccountData | null {
  if (!isTokenProgram(account.owner)) return null;
  const program = account.owner === TOKEN_2022_PROGRAM_ID ? 'spl-token-2022' : 'spl-token';
  const space = account.data.length;
  switch (tokenAccountKind(account.data)) {
    case 'account': {
      const token = decodeTokenAccount(account.data);
      const mint = token && loadMint(token.mint);
      const decimals = mint && decodeMint(mint.data)?.decimals;
      if (!token || decimals === null || decimals === undefined) return null;
      const info: Record<string, unknown> = {
        isNative: token.isNative !== null,
        mint: token.mint,
        owner: token.owner,
        state: token.state,
        tokenAmount: uiTokenAmount(token.amount, decimals),
      };
      if (token.delegate) {
        info.delegate = token.delegate;
        info.delegatedAmount = uiTokenAmount(token.delegatedAmount, decimals);
      }
      if (token.isNative !== null) info.rentExemptReserve = uiTokenAmount(token.isNative, decimals);
      if (token.closeAuthority) info.closeAuthority = token.closeAuthority;
      return { program, parsed: { type: 'account', info }, space };
    }
    case 'mint': {
      const mint = decodeMint(account.data);
      if (!mint) return null;
      return {
        program,
        parsed: {
          type: 'mint',
          info: {
            decimals: mint.decimals,
            freezeAuthority: mint.freezeAuthority,
            isInitialized: mint.isInitialized,
            mintAuthority: mint.mintAuthority,
            supply: mint.supply.toString(),
          },
        },
        space,
      };
    }
    case 'multisig': {
      const multisig = decodeMultisig(account.data);
      if (!multisig) return null;
      return { program, parsed: { type: 'multisig', info: { ...multisig } }, space };
    }
    default:
      return null;
  }
}
