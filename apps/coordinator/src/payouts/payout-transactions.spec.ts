import { Keypair, PublicKey } from '@solana/web3.js';
import { splToken } from '@tessera/chain';
import {
  fitsInOneTransaction,
  packTransfers,
  payoutInstructions,
  tokenAccountSetupInstructions,
} from './payout-transactions';

const key = () => Keypair.generate().publicKey;
const token = {
  mint: key(),
  decimals: 6,
  tokenProgram: splToken.TOKEN_PROGRAM_ID,
  treasury: key(),
  treasuryTokenAccount: key(),
};
const transfers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ tokenAccount: key(), amount: BigInt(i + 1) }));

describe('payout transactions', () => {
  it('pack 18 transfers and the memo into one transaction, the most that fit in 1,232 bytes', () => {
    const sut = packTransfers(transfers(40), 18, token);
    expect(sut.map((b) => b.length)).toEqual([18, 18, 4]);
    expect(
      fitsInOneTransaction(payoutInstructions(crypto.randomUUID(), transfers(18), token), token.treasury),
    ).toBe(true);
    expect(
      fitsInOneTransaction(payoutInstructions(crypto.randomUUID(), transfers(19), token), token.treasury),
    ).toBe(false);
  });

  it('honour a lower maximum (one transfer per transaction, to compare)', () => {
    expect(packTransfers(transfers(3), 1, token).map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it('end with a memo naming the batch', () => {
    const ixs = payoutInstructions('b1', transfers(2), token);
    expect(ixs).toHaveLength(3);
    expect(ixs[2].programId.toBase58()).toBe('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');
    expect(ixs[2].data.toString()).toBe('tessera:payout:b1');
  });

  it('create 10 token accounts in one setup transaction', () => {
    const wallets: PublicKey[] = Array.from({ length: 10 }, key);
    expect(fitsInOneTransaction(tokenAccountSetupInstructions(wallets, token), token.treasury)).toBe(true);
  });
});
