import { randomUUID } from 'node:crypto';
import {
  AddressLookupTableAccount,
  AddressLookupTableProgram,
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PACKET_DATA_SIZE,
  ParsedInstruction,
  PublicKey,
  sendAndConfirmTransaction,
  Transaction,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import {
  createTestToken,
  LocalChain,
  MEMO_PROGRAM_ID,
  splToken,
  startLocalChain,
  TestToken,
} from '@tessera/chain';

// Medium tests of the payout batch shape: one treasury paying many providers in one transaction,
// transferChecked each, creating the associated token accounts that are missing, and one memo naming
// the batch. Measures how many transfers fit in a 1,232-byte legacy transaction.

let chain: LocalChain;
let connection: Connection;
let token: TestToken;

beforeAll(async () => {
  chain = await startLocalChain({ slotMs: 50 });
  connection = chain.connection();
  token = await createTestToken(chain, { decimals: 6 });
});

afterAll(() => chain.stop());

interface Payout {
  provider: PublicKey;
  amount: bigint;
  /** Whether the provider's token account may be missing (createAssociatedTokenAccountIdempotent first). */
  create: boolean;
}

function payoutTransaction(payouts: Payout[], batchId: string, priorityFee = false): Transaction {
  const { treasury, mint, treasuryTokenAccount, decimals } = token;
  const tx = new Transaction({
    feePayer: treasury.publicKey,
    blockhash: '11111111111111111111111111111111',
    lastValidBlockHeight: 0,
  });
  if (priorityFee) {
    tx.add(
      ComputeBudgetProgram.setComputeUnitLimit({ units: 400_000 }),
      ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 10_000 }),
    );
  }
  for (const { provider, amount, create } of payouts) {
    const ata = splToken.getAssociatedTokenAddressSync(mint, provider);
    if (create) {
      tx.add(
        splToken.createAssociatedTokenAccountIdempotentInstruction(treasury.publicKey, ata, provider, mint),
      );
    }
    tx.add(
      splToken.createTransferCheckedInstruction(
        treasuryTokenAccount,
        mint,
        ata,
        treasury.publicKey,
        amount,
        decimals,
      ),
    );
  }
  return tx.add(
    new TransactionInstruction({
      programId: new PublicKey(MEMO_PROGRAM_ID),
      keys: [],
      data: Buffer.from(`tessera:payout:${batchId}`),
    }),
  );
}

function wireSize(tx: Transaction): number {
  return tx.serialize({ requireAllSignatures: false, verifySignatures: false }).length;
}

/** The most payouts of this kind one transaction holds. */
function maxPayouts(create: boolean, priorityFee = false): number {
  let count = 1;
  const fits = (n: number) => {
    const payouts = Array.from({ length: n }, () => ({
      provider: Keypair.generate().publicKey,
      amount: 1n,
      create,
    }));
    try {
      return wireSize(payoutTransaction(payouts, randomUUID(), priorityFee)) <= PACKET_DATA_SIZE;
    } catch {
      return false; // web3.js refuses to serialize past 1,232 bytes
    }
  };
  while (fits(count + 1)) count++;
  return count;
}

async function pay(payouts: Payout[]) {
  const batchId = randomUUID();
  const signature = await sendAndConfirmTransaction(connection, payoutTransaction(payouts, batchId), [
    token.treasury,
  ]);
  return { signature, batchId };
}

async function balanceOf(provider: PublicKey): Promise<bigint> {
  const ata = splToken.getAssociatedTokenAddressSync(token.mint, provider);
  return BigInt((await connection.getTokenAccountBalance(ata)).value.amount);
}

describe('payout batches', () => {
  let withoutCreation: number;
  let withCreation: number;

  beforeAll(() => {
    withoutCreation = maxPayouts(false);
    withCreation = maxPayouts(true);
  });

  it('fit at least 10 transfers and a memo in one transaction', () => {
    process.stdout.write(
      `payout batch: ${withoutCreation} transferChecked per transaction to existing token accounts, ` +
        `${withCreation} when each also creates the account (1,232-byte legacy transaction, 51-byte memo); ` +
        `with a compute-unit limit and price: ${maxPayouts(false, true)} and ${maxPayouts(true, true)}\n`,
    );
    expect(withoutCreation).toBeGreaterThanOrEqual(10);
    expect(withCreation).toBeGreaterThanOrEqual(5);
  });

  it('pays a full batch to existing token accounts', async () => {
    const payouts: Payout[] = [];
    for (let i = 0; i < withoutCreation; i++) {
      const provider = Keypair.generate().publicKey;
      await chain.createAssociatedTokenAccount(token.mint, provider);
      payouts.push({ provider, amount: BigInt(1_000 + i), create: false });
    }
    const { signature, batchId } = await pay(payouts);
    for (const { provider, amount } of payouts) expect(await balanceOf(provider)).toBe(amount);
    const tx = await connection.getParsedTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    const instructions = tx!.transaction.message.instructions as ParsedInstruction[];
    expect(instructions.filter((ix) => ix.program === 'spl-token')).toHaveLength(withoutCreation);
    expect(instructions.at(-1)).toMatchObject({ program: 'spl-memo', parsed: `tessera:payout:${batchId}` });
    expect(tx?.meta?.postTokenBalances).toHaveLength(withoutCreation + 1);
  });

  it('pays a full batch that creates every token account', async () => {
    const payouts = Array.from({ length: withCreation }, (_, i) => ({
      provider: Keypair.generate().publicKey,
      amount: BigInt(2_000 + i),
      create: true,
    }));
    const { signature } = await pay(payouts);
    for (const { provider, amount } of payouts) expect(await balanceOf(provider)).toBe(amount);
    const tx = await connection.getParsedTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    const created = (tx!.transaction.message.instructions as ParsedInstruction[]).filter(
      (ix) => ix.program === 'spl-associated-token-account',
    );
    expect(created).toHaveLength(withCreation);
    expect(created[0].parsed).toMatchObject({ type: 'createIdempotent' });
    // The ATA program's own calls show up as parsed inner instructions.
    const inner = tx?.meta?.innerInstructions?.[0]?.instructions as ParsedInstruction[];
    expect(inner.map((ix) => (ix.parsed as { type: string }).type)).toEqual(
      expect.arrayContaining([
        'getAccountDataSize',
        'createAccount',
        'initializeImmutableOwner',
        'initializeAccount3',
      ]),
    );
    expect(tx?.meta?.preTokenBalances).toHaveLength(1);
    expect(tx?.meta?.postTokenBalances).toHaveLength(withCreation + 1);
  });

  it('pays 12 providers, creating the 3 token accounts that are missing, and lists the batch for the treasury', async () => {
    const payouts: Payout[] = [];
    for (let i = 0; i < 12; i++) {
      const provider = Keypair.generate().publicKey;
      const missing = i % 4 === 0;
      if (!missing) await chain.createAssociatedTokenAccount(token.mint, provider);
      payouts.push({ provider, amount: BigInt(3_000 + i), create: missing });
    }
    const { signature, batchId } = await pay(payouts);
    for (const { provider, amount } of payouts) expect(await balanceOf(provider)).toBe(amount);
    const history = await connection.getSignaturesForAddress(
      token.treasury.publicKey,
      { limit: 5 },
      'confirmed',
    );
    expect(history[0]).toMatchObject({ signature, err: null, memo: `[51] tessera:payout:${batchId}` });
  });
});

describe('payout batches through an address lookup table', () => {
  const providers = 60;
  let tokenAccounts: PublicKey[];
  let table: AddressLookupTableAccount;

  beforeAll(async () => {
    tokenAccounts = [];
    for (let i = 0; i < providers; i++) {
      tokenAccounts.push(await chain.createAssociatedTokenAccount(token.mint, Keypair.generate().publicKey));
    }
    const { treasury } = token;
    const [create, address] = AddressLookupTableProgram.createLookupTable({
      authority: treasury.publicKey,
      payer: treasury.publicKey,
      recentSlot: await connection.getSlot('finalized'),
    });
    await sendAndConfirmTransaction(connection, new Transaction().add(create), [treasury]);
    const addresses = [token.mint, token.treasuryTokenAccount, ...tokenAccounts];
    for (let i = 0; i < addresses.length; i += 20) {
      const extend = AddressLookupTableProgram.extendLookupTable({
        lookupTable: address,
        authority: treasury.publicKey,
        payer: treasury.publicKey,
        addresses: addresses.slice(i, i + 20),
      });
      await sendAndConfirmTransaction(connection, new Transaction().add(extend), [treasury]);
    }
    chain.advanceSlots(1); // addresses become usable in the slot after the one that added them
    table = (await connection.getAddressLookupTable(address)).value!;
  });

  function v0Payout(count: number, blockhash: string): VersionedTransaction {
    const instructions = tokenAccounts
      .slice(0, count)
      .map((account, i) =>
        splToken.createTransferCheckedInstruction(
          token.treasuryTokenAccount,
          token.mint,
          account,
          token.treasury.publicKey,
          BigInt(4_000 + i),
          token.decimals,
        ),
      );
    instructions.push(
      new TransactionInstruction({
        programId: new PublicKey(MEMO_PROGRAM_ID),
        keys: [],
        data: Buffer.from(`tessera:payout:${randomUUID()}`),
      }),
    );
    const message = new TransactionMessage({
      payerKey: token.treasury.publicKey,
      recentBlockhash: blockhash,
      instructions,
    });
    const tx = new VersionedTransaction(message.compileToV0Message([table]));
    tx.sign([token.treasury]);
    return tx;
  }

  it('fits many more transfers in a v0 transaction, and reports the loaded addresses', async () => {
    const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();
    let most = 1;
    const fits = (count: number) => {
      try {
        return v0Payout(count, blockhash).serialize().length <= PACKET_DATA_SIZE;
      } catch {
        return false;
      }
    };
    while (most < providers && fits(most + 1)) most++;
    process.stdout.write(`payout batch: ${most} transferChecked per v0 transaction through a lookup table\n`);
    expect(most).toBeGreaterThanOrEqual(40);

    const signature = await connection.sendTransaction(v0Payout(most, blockhash));
    await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight }, 'confirmed');
    for (const [i, account] of tokenAccounts.slice(0, most).entries()) {
      expect((await connection.getTokenAccountBalance(account)).value.amount).toBe(String(4_000 + i));
    }
    const json = await connection.getTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    expect(json?.version).toBe(0);
    expect(json?.meta?.loadedAddresses?.writable).toHaveLength(most + 1);
    expect(json?.transaction.message.addressTableLookups[0].accountKey.equals(table.key)).toBe(true);
    const parsed = await connection.getParsedTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    const loaded = parsed!.transaction.message.accountKeys.filter((key) => key.source === 'lookupTable');
    expect(loaded).toHaveLength(most + 2);
    expect(parsed?.meta?.postTokenBalances).toHaveLength(most + 1);
  });
});
