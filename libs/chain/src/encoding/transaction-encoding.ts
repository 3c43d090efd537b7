import bs58 from 'bs58';
import { InnerInstructionRecord } from '../bank/svm';
import { TransactionErrorJson } from '../bank/transaction-error';
import { TokenBalance, TransactionRecord } from '../bank/transaction-store';
import { DecodedTransaction } from '../bank/wire-transaction';
import { JsonRpcError, RpcErrorCode } from '../rpc/json-rpc';
import { parseInstruction, UiInstruction } from './instruction-parser';
import { UiTokenAmount, uiTokenAmount } from './token-amount';

export type TransactionEncoding = 'json' | 'jsonParsed' | 'base64' | 'base58';

export interface UiTokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  programId: string;
  uiTokenAmount: UiTokenAmount;
}

/** A landed transaction as devnet's getTransaction returns it. */
export function encodeConfirmedTransaction(
  record: TransactionRecord,
  encoding: TransactionEncoding,
  maxSupportedTransactionVersion: number | undefined,
): Record<string, unknown> {
  const { tx } = record;
  if (tx.version !== 'legacy' && (maxSupportedTransactionVersion ?? -1) < tx.version) {
    throw new JsonRpcError(
      RpcErrorCode.UnsupportedTransactionVersion,
      `Transaction version (${tx.version}) is not supported by the requesting client. Please try the ` +
        `request again with the following configuration parameter: "maxSupportedTransactionVersion": ${tx.version}`,
    );
  }
  return {
    slot: record.slot,
    blockTime: record.blockTime,
    transaction: encodeTransaction(tx, encoding),
    meta: encodeMeta(record, encoding === 'jsonParsed'),
    // Devnet names the version only to clients that said which versions they understand.
    ...(maxSupportedTransactionVersion === undefined ? {} : { version: tx.version }),
  };
}

export function encodeTransaction(tx: DecodedTransaction, encoding: TransactionEncoding): unknown {
  if (encoding === 'base64') return [tx.wire.toString('base64'), 'base64'];
  if (encoding === 'base58') return [bs58.encode(tx.wire), 'base58'];
  const lookups = tx.version === 'legacy' ? {} : { addressTableLookups: tx.addressTableLookups };
  if (encoding === 'jsonParsed') {
    const staticCount = tx.staticAccountKeys.length;
    return {
      signatures: tx.signatures,
      message: {
        accountKeys: tx.accountKeys.map((pubkey, index) => ({
          pubkey,
          signer: tx.signer[index],
          source: index < staticCount ? 'transaction' : 'lookupTable',
          writable: tx.writable[index],
        })),
        instructions: tx.instructions.map((ix) => parseInstruction(ix, tx.accountKeys, null)),
        recentBlockhash: tx.recentBlockhash,
        ...lookups,
      },
    };
  }
  return {
    signatures: tx.signatures,
    message: {
      accountKeys: tx.staticAccountKeys,
      header: tx.header,
      instructions: tx.instructions.map((ix) => ({
        programIdIndex: ix.programIdIndex,
        accounts: ix.accounts,
        data: bs58.encode(ix.data),
        stackHeight: null,
      })),
      recentBlockhash: tx.recentBlockhash,
      ...lookups,
    },
  };
}

function encodeMeta(record: TransactionRecord, parsed: boolean): Record<string, unknown> {
  const { meta, tx } = record;
  const err = meta.err?.json ?? null;
  return {
    err,
    status: statusOf(err),
    fee: meta.fee,
    preBalances: meta.preBalances,
    postBalances: meta.postBalances,
    innerInstructions: parsed
      ? parsedInnerInstructions(meta.innerInstructions, tx.accountKeys)
      : compiledInnerInstructions(meta.innerInstructions),
    logMessages: meta.logMessages,
    preTokenBalances: meta.preTokenBalances.map(encodeTokenBalance),
    postTokenBalances: meta.postTokenBalances.map(encodeTokenBalance),
    rewards: [],
    ...(parsed ? {} : { loadedAddresses: tx.loadedAddresses }),
    ...(meta.returnData ? { returnData: encodeReturnData(meta.returnData) } : {}),
    computeUnitsConsumed: meta.computeUnitsConsumed,
  };
}

/** The legacy `status` field beside `err`. */
export function statusOf(err: TransactionErrorJson | null): { Ok: null } | { Err: TransactionErrorJson } {
  return err === null ? { Ok: null } : { Err: err };
}

export function encodeTokenBalance(balance: TokenBalance): UiTokenBalance {
  return {
    accountIndex: balance.accountIndex,
    mint: balance.mint,
    owner: balance.owner,
    programId: balance.programId,
    uiTokenAmount: uiTokenAmount(balance.amount, balance.decimals),
  };
}

export function encodeReturnData(returnData: { programId: string; data: Buffer }): {
  programId: string;
  data: [string, 'base64'];
} {
  return { programId: returnData.programId, data: [returnData.data.toString('base64'), 'base64'] };
}

/** Devnet lists inner instructions only under top-level instructions that made some. */
function compiledInnerInstructions(inner: InnerInstructionRecord[][]): unknown[] {
  return inner.flatMap((instructions, index) =>
    instructions.length === 0
      ? []
      : [
          {
            index,
            instructions: instructions.map((ix) => ({
              programIdIndex: ix.programIdIndex,
              accounts: ix.accounts,
              data: bs58.encode(ix.data),
              stackHeight: ix.stackHeight,
            })),
          },
        ],
  );
}

export function parsedInnerInstructions(
  inner: InnerInstructionRecord[][],
  accountKeys: readonly string[],
): Array<{ index: number; instructions: UiInstruction[] }> {
  return inner.flatMap((instructions, index) =>
    instructions.length === 0
      ? []
      : [
          {
            index,
            instructions: instructions.map((ix) => parseInstruction(ix, accountKeys, ix.stackHeight)),
          },
        ],
  );
}
