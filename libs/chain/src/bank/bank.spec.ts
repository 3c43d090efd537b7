import {
  ComputeBudgetProgram,
  Keypair,
  LAMPORTS_PER_SOL,
  PublicKey,
  Signer,
  SystemProgram,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { MEMO_PROGRAM_ID } from '../constants';
import { Bank } from './bank';
import { DecodedTransaction } from './wire-transaction';

// Small tests of the bank over real LiteSVM (no server): fees, failures, duplicates and commitment.

let sut: Bank;
let payer: Keypair;

beforeEach(() => {
  sut = Bank.create({ finalityDepth: 2 });
  payer = Keypair.generate();
  sut.airdrop(payer.publicKey.toBase58(), BigInt(10 * LAMPORTS_PER_SOL));
});

function transaction(
  instructions: TransactionInstruction[],
  signers: Signer[] = [payer],
  blockhash?: string,
) {
  const message = new TransactionMessage({
    payerKey: signers[0].publicKey,
    recentBlockhash: blockhash ?? sut.clock.latestBlockhash('processed').blockhash,
    instructions,
  }).compileToLegacyMessage();
  const tx = new VersionedTransaction(message);
  tx.sign(signers);
  return sut.decode(Buffer.from(tx.serialize()));
}

const memo = (text: string) =>
  new TransactionInstruction({
    programId: new PublicKey(MEMO_PROGRAM_ID),
    keys: [],
    data: Buffer.from(text),
  });
const transfer = (to: PublicKey, lamports: number, from = payer.publicKey) =>
  SystemProgram.transfer({ fromPubkey: from, toPubkey: to, lamports });
const lamportsOf = (key: PublicKey) => sut.account(key.toBase58(), 'processed')?.lamports ?? 0n;

function land(tx: DecodedTransaction) {
  const result = sut.submit(tx, true);
  if (!result.landed) throw new Error(`not landed: ${result.error.message}`);
  return result.record;
}

describe('Bank fees', () => {
  const price = ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1_000_000 });
  it.each([
    ['a memo', () => [memo('a')]],
    ['a priced memo', () => [price, memo('b')]],
    [
      'a priced transfer (builtins reserve 3,000 CUs)',
      () => [price, transfer(Keypair.generate().publicKey, 1_000_000)],
    ],
    [
      'a priced memo with a limit',
      () => [price, ComputeBudgetProgram.setComputeUnitLimit({ units: 12_345 }), memo('c')],
    ],
    [
      'two memos at a fractional price',
      () => [ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 3 }), memo('d'), memo('e')],
    ],
  ])('charge for %s exactly what LiteSVM deducts', (_name, instructions) => {
    const before = lamportsOf(payer.publicKey);
    const record = land(transaction(instructions()));
    const moved = record.meta.preBalances
      .slice(1)
      .reduce((sum, pre, i) => sum + record.meta.postBalances[i + 1] - pre, 0n);
    expect(record.meta.fee).toBe(before - lamportsOf(payer.publicKey) - moved);
  });

  it('charges 5,000 lamports per signature', () => {
    const second = Keypair.generate();
    sut.airdrop(second.publicKey.toBase58(), 1_000_000n);
    const record = land(transaction([transfer(payer.publicKey, 1, second.publicKey)], [payer, second]));
    expect(record.meta.fee).toBe(10_000n);
  });
});

describe('Bank transactions', () => {
  it('records a transaction that fails while executing, with its error, and charges its fee', () => {
    const poorTarget = Keypair.generate().publicKey;
    const tx = transaction([transfer(poorTarget, 100 * LAMPORTS_PER_SOL)]);
    const before = lamportsOf(payer.publicKey);
    const result = sut.submit(tx, false);
    expect(result.landed).toBe(true);
    const record = sut.transaction(tx.signature)!;
    expect(record.meta.err?.json).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(record.meta.err?.message).toBe('Error processing Instruction 0: custom program error: 0x1');
    expect(record.meta.logMessages.join('\n')).toContain('insufficient lamports');
    expect(lamportsOf(payer.publicKey)).toBe(before - 5_000n);
    expect(sut.status(tx.signature)?.err?.json).toEqual({ InstructionError: [0, { Custom: 1 }] });
  });

  it('refuses a failing transaction in preflight with its logs, and records nothing', () => {
    const tx = transaction([transfer(Keypair.generate().publicKey, 100 * LAMPORTS_PER_SOL)]);
    const before = lamportsOf(payer.publicKey);
    const result = sut.submit(tx, true);
    expect('rejected' in result && result.error.json).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect('rejected' in result && result.simulation?.logs.join('\n')).toContain('insufficient lamports');
    expect(lamportsOf(payer.publicKey)).toBe(before);
    expect(sut.transaction(tx.signature)).toBeUndefined();
  });

  it('executes a transaction once: a second submission is AlreadyProcessed', () => {
    const to = Keypair.generate().publicKey;
    const tx = transaction([transfer(to, 1_000_000)]);
    land(tx);
    expect(sut.submit(tx, true)).toMatchObject({
      landed: false,
      rejected: true,
      error: { json: 'AlreadyProcessed' },
    });
    expect(sut.submit(tx, false)).toMatchObject({ landed: false, error: { json: 'AlreadyProcessed' } });
    expect(lamportsOf(to)).toBe(1_000_000n);
  });

  it('drops a transaction whose payer cannot pay, and accepts it once the payer is funded', () => {
    const unfunded = Keypair.generate();
    const tx = transaction([memo('later')], [unfunded]);
    expect(sut.submit(tx, false)).toMatchObject({ landed: false, error: { json: 'AccountNotFound' } });
    expect(sut.transaction(tx.signature)).toBeUndefined();
    sut.airdrop(unfunded.publicKey.toBase58(), 1_000_000n);
    expect(sut.submit(tx, true).landed).toBe(true);
  });

  it('refuses a bad signature', () => {
    const tx = transaction([memo('forged')]);
    tx.wire.fill(7, 1, 65);
    const forged = sut.decode(tx.wire);
    expect(sut.submit(forged, true)).toMatchObject({ rejected: true, error: { json: 'SignatureFailure' } });
  });

  it('refuses a blockhash older than 150 blocks', () => {
    const { blockhash } = sut.clock.latestBlockhash('processed');
    for (let i = 0; i < 151; i++) sut.advanceSlot();
    const tx = transaction([memo('late')], [payer], blockhash);
    expect(sut.submit(tx, true)).toMatchObject({
      rejected: true,
      error: { json: 'BlockhashNotFound', message: 'Blockhash not found' },
    });
  });

  it('reports rent failures with the account index', () => {
    const tiny = Keypair.generate().publicKey;
    const record = sut.submit(transaction([transfer(tiny, 1)]), true);
    expect(record).toMatchObject({
      rejected: true,
      error: { json: { InsufficientFundsForRent: { account_index: 1 } } },
    });
  });

  it('tells two identical airdrops in one slot apart', () => {
    const to = Keypair.generate().publicKey.toBase58();
    sut.airdrop(to, 5_000_000n);
    sut.airdrop(to, 5_000_000n);
    expect(sut.account(to, 'processed')?.lamports).toBe(10_000_000n);
  });

  it('refuses an airdrop that would leave the account below rent exemption, as a faucet with preflight does', () => {
    const to = Keypair.generate().publicKey.toBase58();
    expect(sut.airdrop(to, 5n)).toMatchObject({
      landed: false,
      error: { json: { InsufficientFundsForRent: { account_index: 1 } } },
    });
    expect(sut.account(to, 'processed')).toBeNull();
  });
});

describe('Bank commitment', () => {
  it('shows an account at each commitment as of that slot', () => {
    const to = Keypair.generate().publicKey;
    land(transaction([transfer(to, 2_000_000)]));
    sut.advanceSlot();
    sut.advanceSlot();
    land(transaction([transfer(to, 3_000_000)]));
    sut.advanceSlot();
    expect(sut.account(to.toBase58(), 'processed')?.lamports).toBe(5_000_000n);
    expect(sut.account(to.toBase58(), 'confirmed')?.lamports).toBe(5_000_000n);
    expect(sut.account(to.toBase58(), 'finalized')?.lamports).toBe(2_000_000n);
    sut.advanceSlot();
    expect(sut.account(to.toBase58(), 'finalized')?.lamports).toBe(5_000_000n);
  });

  it('moves a signature from processed to confirmed to finalized', () => {
    const tx = transaction([memo('status')]);
    land(tx);
    expect(sut.status(tx.signature)).toMatchObject({ confirmationStatus: 'processed', confirmations: 0 });
    sut.advanceSlot();
    expect(sut.status(tx.signature)).toMatchObject({ confirmationStatus: 'confirmed', confirmations: 1 });
    sut.advanceSlot();
    expect(sut.status(tx.signature)).toMatchObject({ confirmationStatus: 'finalized', confirmations: null });
  });

  it('pages an address history newest first, between until and before', () => {
    const signatures = Array.from(
      { length: 5 },
      (_, i) => land(transaction([memo(`page ${i}`)])).tx.signature,
    );
    sut.advanceSlot();
    const query = (options: { before?: string; until?: string; limit?: number }) =>
      sut
        .signaturesForAddress(payer.publicKey.toBase58(), { limit: 10, commitment: 'confirmed', ...options })
        .map((record) => record.tx.signature);
    const airdrop = query({}).at(-1);
    expect(query({})).toEqual([...signatures].reverse().concat(airdrop!));
    expect(query({ limit: 2 })).toEqual([signatures[4], signatures[3]]);
    expect(query({ before: signatures[3], limit: 2 })).toEqual([signatures[2], signatures[1]]);
    expect(query({ until: signatures[1] })).toEqual([signatures[4], signatures[3], signatures[2]]);
    expect(sut.transaction(signatures[2])?.memo).toBe('[6] page 2');
  });
});
