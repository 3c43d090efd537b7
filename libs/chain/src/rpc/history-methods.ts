import { Bank } from '../bank/bank';
import { STATUS_CACHE_SLOTS } from '../constants';
import { encodeConfirmedTransaction, statusOf, TransactionEncoding } from '../encoding/transaction-encoding';
import {
  checkMinContextSlot,
  configParam,
  confirmedCommitmentOf,
  integerOption,
  JsonRpcError,
  param,
  parseSignature,
  pubkeyParam,
  RpcMethods,
  stringParam,
  withContext,
} from './json-rpc';

const MAX_SIGNATURE_STATUSES = 256;
const MAX_SIGNATURES_FOR_ADDRESS = 1000;
const TRANSACTION_ENCODINGS = ['json', 'jsonParsed', 'base64', 'base58'];

/** What landed: statuses, transactions with their metadata, and each address's history. */
export function historyMethods(bank: Bank): RpcMethods {
  return {
    getSignatureStatuses: (params) => {
      const signatures = param(params, 0, 'signatures');
      if (!Array.isArray(signatures))
        throw JsonRpcError.invalidParams('Invalid params: signatures must be an array');
      if (signatures.length > MAX_SIGNATURE_STATUSES) {
        throw JsonRpcError.invalidParams(`Too many inputs provided; max ${MAX_SIGNATURE_STATUSES}`);
      }
      const searchHistory = configParam(params, 1).searchTransactionHistory === true;
      const processed = bank.clock.processed;
      return withContext(
        processed,
        signatures.map(parseSignature).map((signature) => {
          const status = bank.status(signature);
          // Without searchTransactionHistory devnet consults only its status cache of recent slots.
          if (!status || (!searchHistory && status.slot < processed - STATUS_CACHE_SLOTS)) return null;
          const err = status.err?.json ?? null;
          return {
            slot: status.slot,
            confirmations: status.confirmations,
            err,
            status: statusOf(err),
            confirmationStatus: status.confirmationStatus,
          };
        }),
      );
    },

    getTransaction: (params) => {
      const signature = parseSignature(stringParam(params, 0, 'signature'));
      // The second parameter may also be just the encoding, as in older clients.
      const raw = params[1];
      const config = typeof raw === 'string' ? { encoding: raw } : configParam(params, 1);
      const encoding = (config.encoding ?? 'json') as TransactionEncoding;
      if (!TRANSACTION_ENCODINGS.includes(encoding)) {
        throw JsonRpcError.invalidParams(`Invalid params: unknown variant \`${String(encoding)}\``);
      }
      const commitment = confirmedCommitmentOf(config);
      const record = bank.transaction(signature);
      if (!record || record.slot > bank.clock.slotAt(commitment)) return null;
      return encodeConfirmedTransaction(
        record,
        encoding,
        integerOption(config, 'maxSupportedTransactionVersion'),
      );
    },

    getSignaturesForAddress: (params) => {
      const address = pubkeyParam(params, 0, 'address');
      const config = configParam(params, 1);
      const commitment = confirmedCommitmentOf(config);
      checkMinContextSlot(config, bank.clock.slotAt(commitment));
      const limit = integerOption(config, 'limit') ?? MAX_SIGNATURES_FOR_ADDRESS;
      if (limit < 1 || limit > MAX_SIGNATURES_FOR_ADDRESS) {
        throw JsonRpcError.invalidParams(`Invalid limit; max ${MAX_SIGNATURES_FOR_ADDRESS}`);
      }
      const before =
        config.before === undefined || config.before === null ? undefined : parseSignature(config.before);
      const until =
        config.until === undefined || config.until === null ? undefined : parseSignature(config.until);
      return bank.signaturesForAddress(address, { before, until, limit, commitment }).map((record) => ({
        signature: record.tx.signature,
        slot: record.slot,
        err: record.meta.err?.json ?? null,
        memo: record.memo,
        blockTime: record.blockTime,
        confirmationStatus: bank.clock.commitmentOf(record.slot),
      }));
    },
  };
}
