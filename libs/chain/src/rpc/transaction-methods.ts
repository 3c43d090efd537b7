import bs58 from 'bs58';
import { Bank } from '../bank/bank';
import { SimulationOutcome } from '../bank/svm';
import { fieldlessError, TransactionError } from '../bank/transaction-error';
import { firstSignature, MalformedTransactionError, TransactionFailure } from '../bank/wire-transaction';
import { PACKET_DATA_SIZE } from '../constants';
import { encodeAccount } from '../encoding/account-encoding';
import { encodeReturnData, parsedInnerInstructions } from '../encoding/transaction-encoding';
import {
  checkMinContextSlot,
  configParam,
  JsonRpcError,
  param,
  parsePubkey,
  pubkeyParam,
  RpcConfig,
  RpcErrorCode,
  RpcMethods,
  stringParam,
  withContext,
} from './json-rpc';

// Devnet's limits on the encoded transaction, for a 1,232-byte packet.
const MAX_BASE58_SIZE = 1683;
const MAX_BASE64_SIZE = 1644;

/** Sending, simulating and airdropping. */
export function transactionMethods(bank: Bank): RpcMethods {
  return {
    sendTransaction: (params) => {
      const config = configParam(params, 1);
      const wire = decodeWire(stringParam(params, 0, 'transaction'), config);
      checkMinContextSlot(config, bank.clock.processed);
      const preflight = config.skipPreflight !== true;
      let tx;
      try {
        tx = bank.decode(wire);
      } catch (error) {
        if (!(error instanceof TransactionFailure)) throw asInvalidParams(error);
        if (preflight) throw preflightFailure(error.error, null);
        return firstSignature(wire);
      }
      const result = bank.submit(tx, preflight);
      if ('rejected' in result) {
        if (result.error.json === 'SignatureFailure') {
          throw new JsonRpcError(
            RpcErrorCode.TransactionSignatureVerificationFailure,
            'Transaction signature verification failure',
          );
        }
        throw preflightFailure(result.error, result.simulation);
      }
      // Landed, failed in its block, or dropped by the leader: the node answers with the signature.
      return tx.signature;
    },

    simulateTransaction: (params) => {
      const config = configParam(params, 1);
      const wire = decodeWire(stringParam(params, 0, 'transaction'), config);
      const slot = bank.clock.processed;
      checkMinContextSlot(config, slot);
      const sigVerify = config.sigVerify === true;
      const replaceRecentBlockhash = config.replaceRecentBlockhash === true;
      if (sigVerify && replaceRecentBlockhash) {
        throw JsonRpcError.invalidParams('sigVerify may not be used with replaceRecentBlockhash');
      }
      let tx;
      try {
        tx = bank.decode(wire);
      } catch (error) {
        if (!(error instanceof TransactionFailure)) throw asInvalidParams(error);
        return withContext(slot, simulationValue(error.error, null, null));
      }
      // The bank checks blockhashes itself, so replacing one only means not checking it.
      const replacement = replaceRecentBlockhash ? bank.clock.latestBlockhash('processed') : null;
      const replacementBlockhash = replacement
        ? { blockhash: replacement.blockhash, lastValidBlockHeight: replacement.lastValidBlockHeight }
        : null;
      if (!replacement && !bank.clock.isBlockhashValid(tx.recentBlockhash)) {
        return withContext(slot, simulationValue(fieldlessError('BlockhashNotFound'), null, null));
      }
      const simulation = bank.simulate(tx, sigVerify);
      if (sigVerify && simulation.err?.json === 'SignatureFailure') {
        throw new JsonRpcError(
          RpcErrorCode.TransactionSignatureVerificationFailure,
          'Transaction signature verification failure',
        );
      }
      const value = simulationValue(simulation.err, simulation, replacementBlockhash);
      const wanted = config.accounts as { addresses?: unknown; encoding?: unknown } | undefined;
      if (wanted && Array.isArray(wanted.addresses) && !simulation.err) {
        const encoding = wanted.encoding === 'jsonParsed' ? 'jsonParsed' : 'base64';
        const load = (address: string) =>
          simulation.postAccounts.get(address) ?? bank.account(address, 'processed');
        value.accounts = wanted.addresses.map(parsePubkey).map((address) => {
          const account = load(address);
          return account ? encodeAccount(account, { encoding }, load) : null;
        });
      }
      if (config.innerInstructions === true) {
        value.innerInstructions = parsedInnerInstructions(simulation.innerInstructions, tx.accountKeys);
      }
      return withContext(slot, value);
    },

    requestAirdrop: (params) => {
      const address = pubkeyParam(params, 0);
      const lamports = param(params, 1, 'lamports');
      if (typeof lamports !== 'number' || !Number.isSafeInteger(lamports) || lamports <= 0) {
        throw JsonRpcError.invalidParams('Invalid params: lamports must be a positive integer');
      }
      const result = bank.airdrop(address, BigInt(lamports));
      if (!result.landed) {
        throw new JsonRpcError(RpcErrorCode.InternalError, `airdrop failed: ${result.error.message}`);
      }
      return result.record.tx.signature;
    },
  };
}

/** The wire bytes of a base58 (devnet's default) or base64 transaction, with devnet's size limits. */
function decodeWire(encoded: string, config: RpcConfig): Buffer {
  const encoding = config.encoding ?? 'base58';
  if (encoding !== 'base58' && encoding !== 'base64') {
    throw JsonRpcError.invalidParams(
      `unsupported encoding: ${String(encoding)}. Supported encodings: base58, base64`,
    );
  }
  const maxEncoded = encoding === 'base58' ? MAX_BASE58_SIZE : MAX_BASE64_SIZE;
  const tooLarge = (size: number) =>
    JsonRpcError.invalidParams(
      `${encoding} encoded solana_transaction::versioned::VersionedTransaction too large: ${size} bytes ` +
        `(max: encoded/raw ${maxEncoded}/${PACKET_DATA_SIZE})`,
    );
  if (encoded.length > maxEncoded) throw tooLarge(encoded.length);
  let wire: Buffer;
  try {
    wire = encoding === 'base58' ? Buffer.from(bs58.decode(encoded)) : Buffer.from(encoded, 'base64');
  } catch {
    throw JsonRpcError.invalidParams(`invalid ${encoding} encoding`);
  }
  if (wire.length > PACKET_DATA_SIZE) throw tooLarge(wire.length);
  return wire;
}

function asInvalidParams(error: unknown): unknown {
  return error instanceof MalformedTransactionError ? JsonRpcError.invalidParams(error.message) : error;
}

interface SimulationValue {
  err: unknown;
  logs: string[];
  accounts: unknown[] | null;
  unitsConsumed: number;
  returnData: unknown;
  innerInstructions: unknown[] | null;
  replacementBlockhash: unknown;
}

function simulationValue(
  error: TransactionError | null,
  simulation: SimulationOutcome | null,
  replacementBlockhash: unknown,
): SimulationValue {
  return {
    err: error?.json ?? null,
    logs: simulation?.logs ?? [],
    accounts: null,
    unitsConsumed: simulation?.computeUnitsConsumed ?? 0,
    returnData: simulation?.returnData ? encodeReturnData(simulation.returnData) : null,
    innerInstructions: null,
    replacementBlockhash,
  };
}

/** Devnet's -32002 answer: the simulation's error, message and logs (web3.js shows them in SendTransactionError). */
function preflightFailure(error: TransactionError, simulation: SimulationOutcome | null): JsonRpcError {
  return new JsonRpcError(
    RpcErrorCode.SendTransactionPreflightFailure,
    `Transaction simulation failed: ${error.message}`,
    simulationValue(error, simulation, null),
  );
}
