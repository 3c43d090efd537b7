import type {
  ParsedInstruction,
  ParsedTransactionWithMeta,
  PartiallyDecodedInstruction,
  TokenBalance,
} from '@solana/web3.js';
import { AppError } from '../common/app-error';
import { formatTsr } from '../ledger/amount';
import { DEPOSIT_MEMO_PREFIX, depositMemo } from './deposit-memo';

/** What a deposit must do: move our mint into the treasury's token account, naming the account. */
export interface DepositTarget {
  mint: string;
  treasuryTokenAccount: string;
  accountId: string;
}

export interface VerifiedDeposit {
  /** Base units that reached the treasury's token account. */
  amount: bigint;
  /** The wallet that authorized the transfer. */
  wallet: string;
  slot: number;
}

interface TokenTransfer {
  source: string;
  destination: string;
  authority: string;
  mint: string | null;
  amount: bigint;
}

const TOKEN_PROGRAMS = new Set(['spl-token', 'spl-token-2022']);

/**
 * Decides whether a finalized transaction (jsonParsed) is a deposit to `target`, and of how much.
 * Throws a coded AppError naming what is wrong otherwise, checked in this order: it failed; it moves
 * no tokens; not our mint; not into the treasury's token account; the treasury's balance change
 * disagrees with the transfers; no memo; a memo that names no account or another one. Transfers
 * are read from top-level and inner instructions, so a deposit made through a program counts too;
 * the amount is the sum of our mint's transfers into the treasury's token account and must equal
 * that account's balance change.
 */
export function verifyDepositTransaction(
  tx: ParsedTransactionWithMeta,
  target: DepositTarget,
): VerifiedDeposit {
  const meta = tx.meta;
  if (!meta || meta.err) {
    throw new AppError(
      'DEPOSIT_FAILED',
      `the transaction failed on chain (${JSON.stringify(meta?.err ?? 'no status')}); nothing was transferred, so nothing is credited`,
    );
  }
  const keys = tx.transaction.message.accountKeys.map((k) => k.pubkey.toBase58());
  const instructions = [
    ...tx.transaction.message.instructions,
    ...(meta.innerInstructions ?? []).flatMap((inner) => inner.instructions),
  ];
  const balances = [...(meta.preTokenBalances ?? []), ...(meta.postTokenBalances ?? [])];
  const transfers = instructions.flatMap((ix) => tokenTransfer(ix, keys, balances));

  const expected = `a transferChecked of ${target.mint} to the treasury's token account ${target.treasuryTokenAccount} with the memo "${depositMemo(target.accountId)}"`;
  if (transfers.length === 0) {
    throw new AppError(
      'DEPOSIT_NO_TRANSFER',
      `the transaction moves no SPL tokens; a deposit is ${expected}`,
    );
  }
  const ofMint = transfers.filter((t) => t.mint === target.mint);
  if (ofMint.length === 0) {
    const mints = [...new Set(transfers.map((t) => t.mint ?? 'an unknown mint'))].join(', ');
    throw new AppError(
      'DEPOSIT_WRONG_MINT',
      `the transaction transfers ${mints}, not this coordinator's token ${target.mint}; nothing is credited`,
    );
  }
  const toTreasury = ofMint.filter((t) => t.destination === target.treasuryTokenAccount);
  if (toTreasury.length === 0) {
    const destinations = [...new Set(ofMint.map((t) => t.destination))].join(', ');
    throw new AppError(
      'DEPOSIT_WRONG_DESTINATION',
      `the tokens went to ${destinations}, not to the treasury's token account ${target.treasuryTokenAccount}`,
    );
  }
  const amount = toTreasury.reduce((sum, t) => sum + t.amount, 0n);
  const change = balanceChange(tx, keys.indexOf(target.treasuryTokenAccount));
  if (amount <= 0n || change !== amount) {
    throw new AppError(
      'DEPOSIT_AMOUNT_MISMATCH',
      `the transfers into the treasury add up to ${formatTsr(amount)} but its balance changed by ${formatTsr(change)}; such a transaction is not credited automatically`,
    );
  }

  const memos = instructions.flatMap((ix) =>
    'parsed' in ix && ix.program === 'spl-memo' && typeof ix.parsed === 'string' ? [ix.parsed.trim()] : [],
  );
  if (memos.length === 0) {
    throw new AppError(
      'DEPOSIT_NO_MEMO',
      `the transaction has no memo, so it names no account; a deposit is ${expected}`,
    );
  }
  if (!memos.includes(depositMemo(target.accountId))) {
    const named = memos.find((m) => m.startsWith(DEPOSIT_MEMO_PREFIX));
    throw new AppError(
      'DEPOSIT_MEMO_MISMATCH',
      named
        ? `the memo "${named}" names another account; only that account can confirm this deposit`
        : `the memo ${memos.map((m) => `"${m}"`).join(', ')} names no account; a deposit is ${expected}`,
    );
  }
  return { amount, wallet: toTreasury[0].authority, slot: tx.slot };
}

/** A transfer or transferChecked of an SPL token program, with its mint (from the balances for `transfer`). */
function tokenTransfer(
  ix: ParsedInstruction | PartiallyDecodedInstruction,
  keys: string[],
  balances: TokenBalance[],
): TokenTransfer[] {
  if (!('parsed' in ix) || !TOKEN_PROGRAMS.has(ix.program)) return [];
  const parsed = ix.parsed as { type?: string; info?: Record<string, unknown> };
  if (parsed.type !== 'transfer' && parsed.type !== 'transferChecked') return [];
  const info = parsed.info ?? {};
  const amountText =
    parsed.type === 'transferChecked'
      ? (info.tokenAmount as { amount?: string } | undefined)?.amount
      : (info.amount as string | undefined);
  const destination = String(info.destination);
  const mint =
    typeof info.mint === 'string'
      ? info.mint
      : (balances.find((b) => keys[b.accountIndex] === destination)?.mint ?? null);
  return [
    {
      source: String(info.source),
      destination,
      authority: String(info.authority ?? info.multisigAuthority ?? ''),
      mint,
      amount: /^\d+$/.test(amountText ?? '') ? BigInt(amountText as string) : 0n,
    },
  ];
}

/** post − pre token balance of the account at `index` (0 where a side is absent). */
function balanceChange(tx: ParsedTransactionWithMeta, index: number): bigint {
  const of = (list: TokenBalance[] | null | undefined) =>
    BigInt(list?.find((b) => b.accountIndex === index)?.uiTokenAmount.amount ?? '0');
  return of(tx.meta?.postTokenBalances) - of(tx.meta?.preTokenBalances);
}
