import { Keypair, ParsedTransactionWithMeta, PublicKey } from '@solana/web3.js';
import { AppError } from '../common/app-error';
import { verifyDepositTransaction } from './deposit-verifier';

// Small tests of the deposit rules on transactions shaped as getParsedTransaction returns them; the
// medium test (deposits.int-spec.ts) sends real ones through the local chain.

const key = () => Keypair.generate().publicKey;
const mint = key();
const treasuryAta = key();
const walletAta = key();
const wallet = key();
const accountId = '4f7c1a52-0b7e-4bd0-9a44-1f1f2d0c9e11';
const target = { mint: mint.toBase58(), treasuryTokenAccount: treasuryAta.toBase58(), accountId };

type Ix = { program: string; programId: PublicKey; parsed: unknown };

function tx(opts: {
  instructions: Ix[];
  inner?: Ix[];
  keys?: PublicKey[];
  pre?: { index: number; amount: string; mint?: string }[];
  post?: { index: number; amount: string; mint?: string }[];
  err?: unknown;
}): ParsedTransactionWithMeta {
  const keys = opts.keys ?? [wallet, walletAta, treasuryAta, mint];
  const balance = (b: { index: number; amount: string; mint?: string }) => ({
    accountIndex: b.index,
    mint: b.mint ?? mint.toBase58(),
    uiTokenAmount: { amount: b.amount, decimals: 6, uiAmount: null, uiAmountString: '' },
  });
  return {
    slot: 42,
    transaction: {
      signatures: ['sig'],
      message: {
        accountKeys: keys.map((pubkey) => ({ pubkey, signer: false, writable: true })),
        instructions: opts.instructions,
        recentBlockhash: '',
      },
    },
    meta: {
      err: opts.err ?? null,
      fee: 5000,
      preBalances: [],
      postBalances: [],
      innerInstructions: opts.inner ? [{ index: 0, instructions: opts.inner }] : [],
      preTokenBalances: (opts.pre ?? [{ index: 2, amount: '100' }]).map(balance),
      postTokenBalances: (opts.post ?? [{ index: 2, amount: '25000100' }]).map(balance),
    },
  } as unknown as ParsedTransactionWithMeta;
}

const transferChecked = (amount: string, destination = treasuryAta, m = mint): Ix => ({
  program: 'spl-token',
  programId: key(),
  parsed: {
    type: 'transferChecked',
    info: {
      source: walletAta.toBase58(),
      destination: destination.toBase58(),
      mint: m.toBase58(),
      authority: wallet.toBase58(),
      tokenAmount: { amount, decimals: 6 },
    },
  },
});
const memo = (text: string): Ix => ({ program: 'spl-memo', programId: key(), parsed: text });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as AppError).code;
  }
  return 'accepted';
};

describe('verifyDepositTransaction', () => {
  it('accepts a transferChecked into the treasury with the memo naming the account', () => {
    const sut = verifyDepositTransaction(
      tx({ instructions: [transferChecked('25000000'), memo(`tessera:deposit:${accountId}`)] }),
      target,
    );
    expect(sut).toEqual({ amount: 25_000_000n, wallet: wallet.toBase58(), slot: 42 });
  });

  it('reads the mint of a plain transfer from the token balances, and transfers made by a program', () => {
    const plain: Ix = {
      program: 'spl-token',
      programId: key(),
      parsed: {
        type: 'transfer',
        info: {
          source: walletAta.toBase58(),
          destination: treasuryAta.toBase58(),
          authority: wallet.toBase58(),
          amount: '25000000',
        },
      },
    };
    expect(
      verifyDepositTransaction(
        tx({ instructions: [memo(`tessera:deposit:${accountId}`)], inner: [plain] }),
        target,
      ).amount,
    ).toBe(25_000_000n);
  });

  it('refuses each kind of wrong transaction with its own code', () => {
    const good = memo(`tessera:deposit:${accountId}`);
    expect(
      code(() =>
        verifyDepositTransaction(
          tx({ instructions: [transferChecked('25000000'), good], err: { InstructionError: [0, 1] } }),
          target,
        ),
      ),
    ).toBe('DEPOSIT_FAILED');
    expect(code(() => verifyDepositTransaction(tx({ instructions: [good] }), target))).toBe(
      'DEPOSIT_NO_TRANSFER',
    );
    expect(
      code(() =>
        verifyDepositTransaction(
          tx({ instructions: [transferChecked('25000000', treasuryAta, key()), good] }),
          target,
        ),
      ),
    ).toBe('DEPOSIT_WRONG_MINT');
    expect(
      code(() =>
        verifyDepositTransaction(tx({ instructions: [transferChecked('25000000', key()), good] }), target),
      ),
    ).toBe('DEPOSIT_WRONG_DESTINATION');
    expect(
      code(() => verifyDepositTransaction(tx({ instructions: [transferChecked('30000000'), good] }), target)),
    ).toBe('DEPOSIT_AMOUNT_MISMATCH');
    expect(
      code(() => verifyDepositTransaction(tx({ instructions: [transferChecked('25000000')] }), target)),
    ).toBe('DEPOSIT_NO_MEMO');
    expect(
      code(() =>
        verifyDepositTransaction(
          tx({ instructions: [transferChecked('25000000'), memo('tessera:deposit:someone-else')] }),
          target,
        ),
      ),
    ).toBe('DEPOSIT_MEMO_MISMATCH');
  });
});
