import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  ParsedInstruction,
  PublicKey,
  sendAndConfirmTransaction,
  SendTransactionError,
  SystemProgram,
  Transaction,
  TransactionExpiredBlockheightExceededError,
  TransactionInstruction,
  VersionedTransaction,
} from '@solana/web3.js';
import bs58 from 'bs58';
import { eventually } from '@tessera/testing';
import {
  createTestToken,
  LocalChain,
  MEMO_PROGRAM_ID,
  splToken,
  startLocalChain,
  TestToken,
} from '@tessera/chain';

// Medium tests: a real web3.js Connection against the chain's JSON-RPC and PubSub servers, with the
// real SPL Token, ATA and Memo programs executing in LiteSVM. The shapes checked here are the ones
// the coordinator's deposit verification reads.

let chain: LocalChain;
let connection: Connection;
let token: TestToken;
let customer: Keypair;
let customerAta: PublicKey;

const memo = (text: string) =>
  new TransactionInstruction({
    programId: new PublicKey(MEMO_PROGRAM_ID),
    keys: [],
    data: Buffer.from(text),
  });
const units = (whole: number) => BigInt(whole) * 1_000_000n;

beforeAll(async () => {
  chain = await startLocalChain({ slotMs: 50 });
  connection = chain.connection();
  token = await createTestToken(chain, { decimals: 6 });
  customer = Keypair.generate();
  await chain.airdrop(customer.publicKey, 5 * LAMPORTS_PER_SOL);
  ({ tokenAccount: customerAta } = await chain.mintTo({
    mint: token.mint,
    owner: customer.publicKey,
    amount: units(1_000),
    authority: token.mintAuthority,
  }));
});

afterAll(() => chain.stop());

/** A deposit as a customer's wallet builds it: transferChecked to the treasury and a memo naming the account. */
function depositTransaction(amount: bigint, text: string): Transaction {
  return new Transaction().add(
    splToken.createTransferCheckedInstruction(
      customerAta,
      token.mint,
      token.treasuryTokenAccount,
      customer.publicKey,
      amount,
      token.decimals,
    ),
    memo(text),
  );
}

async function tokenBalance(account: PublicKey): Promise<bigint> {
  return BigInt((await connection.getTokenAccountBalance(account)).value.amount);
}

describe('airdrop', () => {
  it('funds an account through requestAirdrop and confirmTransaction', async () => {
    const wallet = Keypair.generate();
    const signature = await connection.requestAirdrop(wallet.publicKey, 2 * LAMPORTS_PER_SOL);
    const latest = await connection.getLatestBlockhash();
    await connection.confirmTransaction({ signature, ...latest }, 'confirmed');
    expect(await connection.getBalance(wallet.publicKey)).toBe(2 * LAMPORTS_PER_SOL);
    const airdrop = await connection.getParsedTransaction(signature, 'confirmed');
    expect(airdrop?.transaction.message.instructions[0]).toMatchObject({
      program: 'system',
      parsed: {
        type: 'transfer',
        info: { destination: wallet.publicKey.toBase58(), lamports: 2 * LAMPORTS_PER_SOL },
      },
    });
  });
});

describe('a deposit: transferChecked with a memo', () => {
  let signature: string;
  const amount = units(25);

  beforeAll(async () => {
    signature = await sendAndConfirmTransaction(
      connection,
      depositTransaction(amount, 'tessera:deposit:acct-7'),
      [customer],
    );
  });

  it('moves the tokens', async () => {
    expect(await tokenBalance(customerAta)).toBe(units(1_000) - amount);
  });

  it('shows the memo and the token balance change in getTransaction', async () => {
    const tx = await connection.getTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    expect(tx?.meta?.err).toBeNull();
    expect(tx?.meta?.fee).toBe(5000);
    expect(tx?.meta?.logMessages).toContain('Program log: Memo (len 22)');
    expect(tx?.meta?.logMessages).toContain('Program log: tessera:deposit:acct-7');
    const keys = tx!.transaction.message.staticAccountKeys.map((key) => key.toBase58());
    const treasuryIndex = keys.indexOf(token.treasuryTokenAccount.toBase58());
    const pre = tx?.meta?.preTokenBalances?.find((balance) => balance.accountIndex === treasuryIndex);
    const post = tx?.meta?.postTokenBalances?.find((balance) => balance.accountIndex === treasuryIndex);
    expect(pre).toMatchObject({ mint: token.mint.toBase58(), owner: token.treasury.publicKey.toBase58() });
    expect(pre?.programId).toBe(splToken.TOKEN_PROGRAM_ID.toBase58());
    expect(BigInt(post!.uiTokenAmount.amount) - BigInt(pre!.uiTokenAmount.amount)).toBe(amount);
    expect(post?.uiTokenAmount).toMatchObject({ decimals: 6, uiAmountString: '1000025' });
    expect(tx?.meta?.computeUnitsConsumed).toBeGreaterThan(0);
    expect(tx?.version).toBe('legacy');
    expect(tx?.blockTime).toBeGreaterThan(1_600_000_000);
  });

  it('parses the transfer and the memo in getParsedTransaction', async () => {
    const tx = await connection.getParsedTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    const [transfer, note] = tx!.transaction.message.instructions as ParsedInstruction[];
    expect(transfer).toMatchObject({
      program: 'spl-token',
      parsed: {
        type: 'transferChecked',
        info: {
          source: customerAta.toBase58(),
          destination: token.treasuryTokenAccount.toBase58(),
          mint: token.mint.toBase58(),
          authority: customer.publicKey.toBase58(),
          tokenAmount: { amount: amount.toString(), decimals: 6, uiAmount: 25, uiAmountString: '25' },
        },
      },
    });
    expect(note).toMatchObject({ program: 'spl-memo', parsed: 'tessera:deposit:acct-7' });
    expect(note.programId.toBase58()).toBe(MEMO_PROGRAM_ID);
    expect(tx?.transaction.message.accountKeys[0]).toMatchObject({
      signer: true,
      writable: true,
      source: 'transaction',
    });
    expect(tx?.meta?.postTokenBalances?.length).toBe(2);
  });

  it('returns the signed wire transaction in base64', async () => {
    const response = await fetch(chain.rpcUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'getTransaction',
        params: [signature, { encoding: 'base64', commitment: 'confirmed' }],
      }),
    });
    const { result } = (await response.json()) as {
      result: { transaction: [string, string]; meta: { fee: number } };
    };
    expect(result.transaction[1]).toBe('base64');
    const wire = VersionedTransaction.deserialize(Buffer.from(result.transaction[0], 'base64'));
    expect(bs58.encode(wire.signatures[0])).toBe(signature);
    expect(result.meta.fee).toBe(5000);
  });

  it('lists it for the treasury in getSignaturesForAddress, with the memo', async () => {
    const [latest] = await connection.getSignaturesForAddress(
      token.treasuryTokenAccount,
      { limit: 1 },
      'confirmed',
    );
    expect(latest).toMatchObject({
      signature,
      err: null,
      memo: '[22] tessera:deposit:acct-7',
      confirmationStatus: expect.any(String),
    });
  });

  it('reports its status, from history too', async () => {
    const { value } = await connection.getSignatureStatuses([signature], { searchTransactionHistory: true });
    expect(value[0]).toMatchObject({ err: null, slot: expect.any(Number) });
    expect(['confirmed', 'finalized']).toContain(value[0]?.confirmationStatus);
  });
});

describe('a refused deposit', () => {
  it('surfaces SendTransactionError with the program logs and changes nothing', async () => {
    const before = await tokenBalance(customerAta);
    const lamportsBefore = await connection.getBalance(customer.publicKey);
    const tx = depositTransaction(units(1_000_000), 'tessera:deposit:too-much');
    const error = await sendAndConfirmTransaction(connection, tx, [customer]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendTransactionError);
    const sendError = error as SendTransactionError;
    expect(sendError.message).toContain('custom program error: 0x1');
    expect(sendError.logs).toContain('Program log: Error: insufficient funds');
    expect(await tokenBalance(customerAta)).toBe(before);
    expect(await connection.getBalance(customer.publicKey)).toBe(lamportsBefore);
    const signature = tx.signature ? bs58.encode(tx.signature) : '';
    expect(
      (await connection.getSignatureStatus(signature, { searchTransactionHistory: true })).value,
    ).toBeNull();
  });

  it('refuses a payer without enough SOL for the transfer', async () => {
    const poor = Keypair.generate();
    await chain.airdrop(poor.publicKey, LAMPORTS_PER_SOL);
    const tx = new Transaction().add(
      SystemProgram.transfer({
        fromPubkey: poor.publicKey,
        toPubkey: customer.publicKey,
        lamports: 2 * LAMPORTS_PER_SOL,
      }),
    );
    const error = (await sendAndConfirmTransaction(connection, tx, [poor]).catch(
      (e: unknown) => e,
    )) as SendTransactionError;
    expect(error).toBeInstanceOf(SendTransactionError);
    expect(error.logs?.join('\n')).toContain('Transfer: insufficient lamports');
  });

  it('records a transaction sent without preflight that fails, with its error, and charges the fee', async () => {
    const before = await tokenBalance(customerAta);
    const lamportsBefore = await connection.getBalance(customer.publicKey);
    const tx = depositTransaction(units(1_000_000), 'tessera:deposit:no-preflight');
    const latest = await connection.getLatestBlockhash();
    tx.recentBlockhash = latest.blockhash;
    tx.feePayer = customer.publicKey;
    tx.sign(customer);
    const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    // web3.js resolves with the error from the notification, or rejects with it from its status poll.
    const outcome = await connection.confirmTransaction({ signature, ...latest }, 'confirmed').then(
      (confirmation) => confirmation.value.err,
      (error: unknown) => error,
    );
    expect(outcome).toEqual({ InstructionError: [0, { Custom: 1 }] });
    // A rejection from the status poll can come while it is only processed; getTransaction wants confirmed.
    const landed = await eventually(
      async () =>
        (await connection.getTransaction(signature, {
          commitment: 'confirmed',
          maxSupportedTransactionVersion: 0,
        })) ?? undefined,
    );
    expect(landed?.meta?.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(landed?.meta?.fee).toBe(5000);
    expect(await tokenBalance(customerAta)).toBe(before);
    expect(await connection.getBalance(customer.publicKey)).toBe(lamportsBefore - 5000);
    const [listed] = await connection.getSignaturesForAddress(customer.publicKey, { limit: 1 }, 'confirmed');
    expect(listed).toMatchObject({ signature, err: { InstructionError: [0, { Custom: 1 }] } });
  });
});

describe('blockhash expiry', () => {
  it('refuses a transaction whose blockhash is more than 150 blocks old', async () => {
    const stale = await connection.getLatestBlockhash('processed');
    chain.advanceSlots(152);
    const tx = depositTransaction(units(1), 'tessera:deposit:stale');
    tx.recentBlockhash = stale.blockhash;
    tx.feePayer = customer.publicKey;
    tx.sign(customer);
    const error = await connection.sendRawTransaction(tx.serialize()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendTransactionError);
    expect((error as Error).message).toContain('Blockhash not found');
    expect(await connection.isBlockhashValid(stale.blockhash)).toMatchObject({ value: false });
  });

  it('drops it silently without preflight, so confirmation expires as on devnet', async () => {
    const stale = await connection.getLatestBlockhash('processed');
    chain.advanceSlots(152);
    const tx = depositTransaction(units(1), 'tessera:deposit:stale-skip');
    tx.recentBlockhash = stale.blockhash;
    tx.feePayer = customer.publicKey;
    tx.sign(customer);
    const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    await expect(connection.confirmTransaction({ signature, ...stale }, 'confirmed')).rejects.toBeInstanceOf(
      TransactionExpiredBlockheightExceededError,
    );
    expect(
      (await connection.getSignatureStatus(signature, { searchTransactionHistory: true })).value,
    ).toBeNull();
  });
});

describe('duplicates and concurrency', () => {
  it('executes a resubmitted transaction once: preflight says already processed, skipPreflight returns the signature', async () => {
    const before = await tokenBalance(customerAta);
    const tx = depositTransaction(units(3), 'tessera:deposit:twice');
    const latest = await connection.getLatestBlockhash();
    tx.recentBlockhash = latest.blockhash;
    tx.feePayer = customer.publicKey;
    tx.sign(customer);
    const raw = tx.serialize();
    const signature = await connection.sendRawTransaction(raw);
    await connection.confirmTransaction({ signature, ...latest }, 'confirmed');
    const again = await connection.sendRawTransaction(raw).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SendTransactionError);
    expect((again as Error).message).toContain('This transaction has already been processed');
    expect(await connection.sendRawTransaction(raw, { skipPreflight: true })).toBe(signature);
    expect(await tokenBalance(customerAta)).toBe(before - units(3));
  });

  it('lands many transactions sent in parallel, each exactly once', async () => {
    const count = 100;
    const recipient = Keypair.generate().publicKey;
    const recipientAta = await chain.createAssociatedTokenAccount(token.mint, recipient);
    const latest = await connection.getLatestBlockhash();
    const raws = Array.from({ length: count }, (_, i) => {
      const tx = new Transaction({ feePayer: token.treasury.publicKey, ...latest }).add(
        splToken.createTransferCheckedInstruction(
          token.treasuryTokenAccount,
          token.mint,
          recipientAta,
          token.treasury.publicKey,
          BigInt(i + 1),
          token.decimals,
        ),
        memo(`tessera:payout:${i}`),
      );
      tx.sign(token.treasury);
      return tx.serialize();
    });
    const started = performance.now();
    // Every transaction twice, all at once: the second copy of each must not execute.
    const signatures = await Promise.all(
      [...raws, ...raws].map((raw) => connection.sendRawTransaction(raw, { skipPreflight: true })),
    );
    const elapsed = performance.now() - started;
    expect(new Set(signatures).size).toBe(count);
    await eventually(async () => {
      const { value } = await connection.getSignatureStatuses(signatures.slice(0, count));
      return value.every(
        (status) => status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized',
      );
    });
    expect(await tokenBalance(recipientAta)).toBe(BigInt((count * (count + 1)) / 2));
    const history = await connection.getSignaturesForAddress(recipientAta, {}, 'confirmed');
    expect(history.filter((entry) => entry.memo?.includes('tessera:payout:'))).toHaveLength(count);
    // The send rate over HTTP, for the report (not a timed assertion).
    process.stdout.write(
      `local chain: ${Math.round((2 * count * 1000) / elapsed)} sendTransaction/s over HTTP\n`,
    );
  });
});
