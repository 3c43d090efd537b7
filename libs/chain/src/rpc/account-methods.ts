import bs58 from 'bs58';
import { Bank } from '../bank/bank';
import { Commitment } from '../bank/slot-clock';
import { AccountState } from '../bank/svm';
import { accountEncodingOf, encodeAccount, MintLoader } from '../encoding/account-encoding';
import { uiTokenAmount } from '../encoding/token-amount';
import { decodeMint, decodeTokenAccount, isTokenProgram } from '../encoding/token-layout';
import {
  checkMinContextSlot,
  commitmentOf,
  configParam,
  JsonRpcError,
  param,
  parsePubkey,
  pubkeyParam,
  RpcConfig,
  RpcMethods,
  withContext,
} from './json-rpc';

const MAX_MULTIPLE_ACCOUNTS = 100;
const LARGEST_ACCOUNTS = 20;

/** Account reads: balances, raw and parsed accounts, SPL token accounts and mints. */
export function accountMethods(bank: Bank): RpcMethods {
  /** The commitment and its slot for a read, with `minContextSlot` checked. */
  const readAt = (config: RpcConfig) => {
    const commitment = commitmentOf(config);
    const slot = bank.clock.slotAt(commitment);
    checkMinContextSlot(config, slot);
    const load: MintLoader = (address) => bank.account(address, commitment);
    return { commitment, slot, load };
  };

  const tokenAccount = (address: string, commitment: Commitment) => {
    const account = bank.account(address, commitment);
    if (!account) throw JsonRpcError.invalidParams('Invalid param: could not find account');
    const token = isTokenProgram(account.owner) ? decodeTokenAccount(account.data) : null;
    if (!token) throw JsonRpcError.invalidParams('Invalid param: not a Token account');
    return token;
  };

  const mintOf = (address: string, commitment: Commitment) => {
    const account = bank.account(address, commitment);
    if (!account) throw JsonRpcError.invalidParams('Invalid param: could not find mint');
    const mint = isTokenProgram(account.owner) ? decodeMint(account.data) : null;
    if (!mint) throw JsonRpcError.invalidParams('Invalid param: not a Token mint');
    return { mint, programId: account.owner };
  };

  return {
    getBalance: (params) => {
      const address = pubkeyParam(params, 0);
      const { commitment, slot } = readAt(configParam(params, 1));
      return withContext(slot, bank.account(address, commitment)?.lamports ?? 0n);
    },

    getAccountInfo: (params) => {
      const address = pubkeyParam(params, 0);
      const config = configParam(params, 1);
      const encoding = accountEncodingOf(config);
      const { commitment, slot, load } = readAt(config);
      const account = bank.account(address, commitment);
      return withContext(slot, account ? encodeAccount(account, encoding, load) : null);
    },

    getMultipleAccounts: (params) => {
      const addresses = param(params, 0, 'pubkeys');
      if (!Array.isArray(addresses))
        throw JsonRpcError.invalidParams('Invalid params: pubkeys must be an array');
      if (addresses.length > MAX_MULTIPLE_ACCOUNTS) {
        throw JsonRpcError.invalidParams(`Too many inputs provided; max ${MAX_MULTIPLE_ACCOUNTS}`);
      }
      const config = configParam(params, 1);
      const encoding = accountEncodingOf(config);
      const { commitment, slot, load } = readAt(config);
      return withContext(
        slot,
        addresses.map(parsePubkey).map((address) => {
          const account = bank.account(address, commitment);
          return account ? encodeAccount(account, encoding, load) : null;
        }),
      );
    },

    getProgramAccounts: (params) => {
      const programId = pubkeyParam(params, 0, 'program id');
      const config = configParam(params, 1);
      const encoding = accountEncodingOf(config);
      const filters = accountFilters(config.filters);
      const { commitment, slot, load } = readAt(config);
      const accounts = bank
        .programAccounts(programId, commitment)
        .filter(({ account }) => filters.every((matches) => matches(account)))
        .map(({ address, account }) => ({
          pubkey: address,
          account: encodeAccount(account, encoding, load),
        }));
      return config.withContext === true ? withContext(slot, accounts) : accounts;
    },

    getTokenAccountBalance: (params) => {
      const address = pubkeyParam(params, 0);
      const { commitment, slot } = readAt(configParam(params, 1));
      const token = tokenAccount(address, commitment);
      const { mint } = mintOf(token.mint, commitment);
      return withContext(slot, uiTokenAmount(token.amount, mint.decimals));
    },

    getTokenSupply: (params) => {
      const address = pubkeyParam(params, 0, 'mint');
      const { commitment, slot } = readAt(configParam(params, 1));
      const { mint } = mintOf(address, commitment);
      return withContext(slot, uiTokenAmount(mint.supply, mint.decimals));
    },

    getTokenLargestAccounts: (params) => {
      const mintAddress = pubkeyParam(params, 0, 'mint');
      const { commitment, slot } = readAt(configParam(params, 1));
      const { mint, programId } = mintOf(mintAddress, commitment);
      const largest = bank
        .programAccounts(programId, commitment)
        .flatMap(({ address, account }) => {
          const token = decodeTokenAccount(account.data);
          return token?.mint === mintAddress ? [{ address, amount: token.amount }] : [];
        })
        .sort((a, b) => (a.amount === b.amount ? 0 : a.amount > b.amount ? -1 : 1))
        .slice(0, LARGEST_ACCOUNTS)
        .map(({ address, amount }) => ({ address, ...uiTokenAmount(amount, mint.decimals) }));
      return withContext(slot, largest);
    },

    getTokenAccountsByOwner: (params) => {
      const owner = pubkeyParam(params, 0, 'owner');
      const filter = param(params, 1, 'filter') as { mint?: unknown; programId?: unknown };
      const config = configParam(params, 2);
      const encoding = accountEncodingOf(config);
      const { commitment, slot, load } = readAt(config);
      let programId: string;
      let mint: string | undefined;
      if (typeof filter?.mint === 'string') {
        mint = parsePubkey(filter.mint);
        programId = mintOf(mint, commitment).programId;
      } else if (typeof filter?.programId === 'string') {
        programId = parsePubkey(filter.programId);
        if (!isTokenProgram(programId)) {
          throw JsonRpcError.invalidParams('Invalid param: unrecognized Token program id');
        }
      } else {
        throw JsonRpcError.invalidParams('Invalid params: filter must be {mint} or {programId}');
      }
      const accounts = bank.programAccounts(programId, commitment).filter(({ account }) => {
        const token = decodeTokenAccount(account.data);
        return token !== null && token.owner === owner && (mint === undefined || token.mint === mint);
      });
      return withContext(
        slot,
        accounts.map(({ address, account }) => ({
          pubkey: address,
          account: encodeAccount(account, encoding, load),
        })),
      );
    },
  };
}

/** getProgramAccounts filters: `{dataSize}` and `{memcmp: {offset, bytes, encoding?}}`. */
function accountFilters(filters: unknown): Array<(account: AccountState) => boolean> {
  if (filters === undefined || filters === null) return [];
  if (!Array.isArray(filters)) throw JsonRpcError.invalidParams('Invalid params: filters must be an array');
  return filters.map(
    (filter: { dataSize?: unknown; memcmp?: { offset?: unknown; bytes?: unknown; encoding?: unknown } }) => {
      if (typeof filter?.dataSize === 'number') {
        const size = filter.dataSize;
        return (account: AccountState) => account.data.length === size;
      }
      const memcmp = filter?.memcmp;
      if (memcmp && typeof memcmp.offset === 'number' && typeof memcmp.bytes === 'string') {
        const offset = memcmp.offset;
        const bytes =
          memcmp.encoding === 'base64'
            ? Buffer.from(memcmp.bytes, 'base64')
            : Buffer.from(bs58.decode(memcmp.bytes));
        return (account: AccountState) => account.data.subarray(offset, offset + bytes.length).equals(bytes);
      }
      throw JsonRpcError.invalidParams('Invalid params: unsupported filter');
    },
  );
}
