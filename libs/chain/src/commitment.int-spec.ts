import {
  AccountInfo,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  Logs,
  PublicKey,
  sendAndConfirmTransaction,
  SignatureResult,
  Transaction,
  TransactionInstruction,
} from '@solana/web3.js';
import { eventually, sleep } from '@tessera/testing';
import {
  createTestToken,
  LocalChain,
  MEMO_PROGRAM_ID,
  splToken,
  startLocalChain,
  TestToken,
} from '@tessera/chain';

// Medium tests of commitment: slots advance on a timer, a transaction is confirmed a slot after its
// own and finalized two slots later, and tests can hold confirmation or finality to watch a deposit
// wait, through the same RPC and PubSub calls the coordinator makes.

let chain: LocalChain;
let connection: Connection;
let token: TestToken;
let customer: Keypair;
let customerAta: PublicKey;

beforeAll(async () => {
  chain = await startLocalChain({ slotMs: 50, finalityDepth: 2 });
  connection = chain.connection();
  token = await createTestToken(chain);
  customer = Keypair.generate();
  await chain.airdrop(customer.publicKey, LAMPORTS_PER_SOL);
  ({ tokenAccount: customerAta } = await chain.mintTo({
    mint: token.mint,
    owner: customer.publicKey,
    amount: 1_000_000_000n,
    authority: token.mintAuthority,
  }));
  // Let the setup finalize so that reads at `finalized` start from it.
  await eventually(
    async () => (await connection.getSignaturesForAddress(customerAta, {}, 'finalized')).length > 0,
  );
});

afterAll(async () => {
  chain.resumeConfirmation();
  chain.resumeFinality();
  await chain.stop();
});

function deposit(amount: bigint, text: string): Transaction {
  return new Transaction().add(
    splToken.createTransferCheckedInstruction(
      customerAta,
      token.mint,
      token.treasuryTokenAccount,
      customer.publicKey,
      amount,
      6,
    ),
    new TransactionInstruction({
      programId: new PublicKey(MEMO_PROGRAM_ID),
      keys: [],
      data: Buffer.from(text),
    }),
  );
}

const treasuryBalance = async (commitment: 'confirmed' | 'finalized') =>
  BigInt((await connection.getTokenAccountBalance(token.treasuryTokenAccount, commitment)).value.amount);

describe('commitment', () => {
  it('orders the slots: processed ≥ confirmed ≥ finalized, and they advance on their own', async () => {
    const [processed, confirmed, finalized] = await Promise.all([
      connection.getSlot('processed'),
      connection.getSlot('confirmed'),
      connection.getSlot('finalized'),
    ]);
    expect(processed).toBeGreaterThanOrEqual(confirmed);
    expect(confirmed).toBeGreaterThanOrEqual(finalized);
    await eventually(async () => (await connection.getSlot('finalized')) > processed);
  });

  it('holds a deposit at confirmed while finality is paused, and finalizes it on resume', async () => {
    chain.pauseFinality();
    const before = await treasuryBalance('finalized');
    const signature = await sendAndConfirmTransaction(
      connection,
      deposit(7_000_000n, 'tessera:deposit:held'),
      [customer],
      {
        commitment: 'confirmed',
      },
    );
    const finalized: SignatureResult[] = [];
    connection.onSignature(signature, (result) => finalized.push(result), 'finalized');
    chain.advanceSlots(10);
    await sleep(200);

    const { value } = await connection.getSignatureStatuses([signature]);
    expect(value[0]).toMatchObject({ confirmationStatus: 'confirmed', err: null });
    expect(value[0]?.confirmations).toBeGreaterThanOrEqual(10);
    expect(
      await connection.getTransaction(signature, {
        commitment: 'finalized',
        maxSupportedTransactionVersion: 0,
      }),
    ).toBeNull();
    expect(
      await connection.getTransaction(signature, {
        commitment: 'confirmed',
        maxSupportedTransactionVersion: 0,
      }),
    ).not.toBeNull();
    expect(await treasuryBalance('finalized')).toBe(before);
    expect(await treasuryBalance('confirmed')).toBe(before + 7_000_000n);
    const finalizedHistory = await connection.getSignaturesForAddress(
      token.treasuryTokenAccount,
      {},
      'finalized',
    );
    expect(finalizedHistory.map((entry) => entry.signature)).not.toContain(signature);
    expect(finalized).toEqual([]);

    chain.resumeFinality();
    await eventually(() => finalized.length === 1);
    expect(finalized[0]).toEqual({ err: null });
    expect(
      await connection.getTransaction(signature, {
        commitment: 'finalized',
        maxSupportedTransactionVersion: 0,
      }),
    ).not.toBeNull();
    expect(await treasuryBalance('finalized')).toBe(before + 7_000_000n);
    expect((await connection.getSignatureStatus(signature)).value).toMatchObject({
      confirmationStatus: 'finalized',
      confirmations: null,
    });
  });

  it('keeps a transaction processed while confirmation is paused', async () => {
    chain.pauseConfirmation();
    const tx = deposit(1_000_000n, 'tessera:deposit:unconfirmed');
    const latest = await connection.getLatestBlockhash('processed');
    tx.recentBlockhash = latest.blockhash;
    tx.feePayer = customer.publicKey;
    tx.sign(customer);
    const signature = await connection.sendRawTransaction(tx.serialize(), {
      preflightCommitment: 'processed',
    });
    let confirmed = false;
    const confirmation = connection
      .confirmTransaction({ signature, ...latest }, 'confirmed')
      .then(() => (confirmed = true));
    chain.advanceSlots(3);
    await sleep(200);
    expect((await connection.getSignatureStatus(signature)).value?.confirmationStatus).toBe('processed');
    expect(
      await connection.getTransaction(signature, {
        commitment: 'confirmed',
        maxSupportedTransactionVersion: 0,
      }),
    ).toBeNull();
    expect(confirmed).toBe(false);

    chain.resumeConfirmation();
    await confirmation;
    expect((await connection.getSignatureStatus(signature)).value?.confirmationStatus).not.toBe('processed');
  });

  it('notifies a processed signature subscription as soon as the transaction runs', async () => {
    const signature = await connection.sendTransaction(deposit(1n, 'tessera:deposit:fast'), [customer]);
    const result = await new Promise<SignatureResult>((resolve) =>
      connection.onSignature(signature, resolve, 'processed'),
    );
    expect(result).toEqual({ err: null });
  });
});

describe('subscriptions', () => {
  it('reports slots and roots as they advance', async () => {
    const slots: number[] = [];
    const roots: number[] = [];
    const slotSubscription = connection.onSlotChange((info) => slots.push(info.slot));
    const rootSubscription = connection.onRootChange((root) => roots.push(root));
    await eventually(() => slots.length >= 3 && roots.length >= 2);
    await connection.removeSlotChangeListener(slotSubscription);
    await connection.removeRootChangeListener(rootSubscription);
    expect(slots[1]).toBe(slots[0] + 1);
    expect(roots[1]).toBeGreaterThan(roots[0]);
  });

  it('reports a token account change at confirmed, and the logs that mention the memo program', async () => {
    const changes: AccountInfo<Buffer>[] = [];
    const logs: Logs[] = [];
    const accountSubscription = connection.onAccountChange(
      token.treasuryTokenAccount,
      (info) => changes.push(info),
      {
        commitment: 'confirmed',
      },
    );
    const logsSubscription = connection.onLogs(
      new PublicKey(MEMO_PROGRAM_ID),
      (entry) => logs.push(entry),
      'confirmed',
    );
    await sleep(100); // let both subscriptions reach the server
    const signature = await sendAndConfirmTransaction(
      connection,
      deposit(2_000_000n, 'tessera:deposit:watched'),
      [customer],
    );
    await eventually(() => changes.length > 0 && logs.some((entry) => entry.signature === signature));
    await connection.removeAccountChangeListener(accountSubscription);
    await connection.removeOnLogsListener(logsSubscription);
    const account = splToken.unpackAccount(token.treasuryTokenAccount, changes.at(-1)!);
    expect(account.amount).toBe(
      BigInt((await connection.getTokenAccountBalance(token.treasuryTokenAccount)).value.amount),
    );
    expect(logs.find((entry) => entry.signature === signature)?.logs).toContain(
      'Program log: tessera:deposit:watched',
    );
  });
});
