import { PublicKey, TransactionInstruction } from '@solana/web3.js';
import { MEMO_PROGRAM_ID } from './constants';

/**
 * A memo instruction of the classic SPL Memo program (v3), which devnet, mainnet and the local chain
 * all run (`@solana-program/memo` defaults to a newer address the local chain lacks). No signers:
 * the memo only labels the transaction it is in.
 */
export function memoInstruction(text: string): TransactionInstruction {
  return new TransactionInstruction({
    programId: new PublicKey(MEMO_PROGRAM_ID),
    keys: [],
    data: Buffer.from(text, 'utf8'),
  });
}
