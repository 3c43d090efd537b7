import { PACKET_DATA_SIZE, PublicKey, Transaction, TransactionInstruction } from '@solana/web3.js';
import { memoInstruction, splToken } from '@tessera/chain';

// The shapes of the payout worker's transactions, as pure functions of their contents (no chain):
// ChainService signs and sends them.

/** `tessera:payout:<batch id>`: names the batch (and so every intent in it) on chain. */
export const PAYOUT_MEMO_PREFIX = 'tessera:payout:';

/** Wallets whose token accounts one setup transaction creates: 12 fit, and a margin. */
export const SETUP_WALLETS_PER_TX = 10;

export interface TokenContext {
  mint: PublicKey;
  decimals: number;
  tokenProgram: PublicKey;
  treasury: PublicKey;
  treasuryTokenAccount: PublicKey;
}

export interface PayoutTransfer {
  tokenAccount: PublicKey;
  amount: bigint;
}

/** One transferChecked from the treasury per intent, then the memo naming the batch. */
export function payoutInstructions(
  batchId: string,
  transfers: PayoutTransfer[],
  token: TokenContext,
): TransactionInstruction[] {
  return [
    ...transfers.map((t) =>
      splToken.createTransferCheckedInstruction(
        token.treasuryTokenAccount,
        token.mint,
        t.tokenAccount,
        token.treasury,
        t.amount,
        token.decimals,
        [],
        token.tokenProgram,
      ),
    ),
    memoInstruction(`${PAYOUT_MEMO_PREFIX}${batchId}`),
  ];
}

/** createAssociatedTokenAccountIdempotent for each wallet, the treasury paying the rent. */
export function tokenAccountSetupInstructions(
  wallets: PublicKey[],
  token: TokenContext,
): TransactionInstruction[] {
  return wallets.map((wallet) =>
    splToken.createAssociatedTokenAccountIdempotentInstruction(
      token.treasury,
      splToken.getAssociatedTokenAddressSync(token.mint, wallet, true, token.tokenProgram),
      wallet,
      token.mint,
      token.tokenProgram,
    ),
  );
}

/** Whether these instructions, paid by `payer`, fit in one legacy transaction (1,232 bytes). */
export function fitsInOneTransaction(instructions: TransactionInstruction[], payer: PublicKey): boolean {
  const tx = new Transaction({
    feePayer: payer,
    blockhash: PublicKey.default.toBase58(),
    lastValidBlockHeight: 0,
  }).add(...instructions);
  try {
    return tx.serialize({ requireAllSignatures: false, verifySignatures: false }).length <= PACKET_DATA_SIZE;
  } catch {
    return false; // web3.js refuses to serialize past the packet size
  }
}

/**
 * Splits transfers into transactions of at most `max` transfers that each fit in one packet: with
 * 18 transfers to distinct token accounts and the memo, a transaction is just under 1,232 bytes.
 */
export function packTransfers<T extends PayoutTransfer>(
  transfers: T[],
  max: number,
  token: TokenContext,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  for (const transfer of transfers) {
    const next = [...current, transfer];
    // A batch id is a UUID: measure with one, the memo's length is fixed.
    if (
      next.length > max ||
      !fitsInOneTransaction(payoutInstructions(SIZE_PROBE_ID, next, token), token.treasury)
    ) {
      if (current.length > 0) batches.push(current);
      current = [transfer];
    } else {
      current = next;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const SIZE_PROBE_ID = '00000000-0000-0000-0000-000000000000';
