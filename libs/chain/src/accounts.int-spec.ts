import {
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  ParsedAccountData,
  PublicKey,
  SolanaJSONRPCError,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { LocalChain, splToken, startLocalChain } from '@tessera/chain';

// Medium tests of the cluster and account methods through web3.js and @solana/spl-token, whose own
// helpers (createMint, getOrCreateAssociatedTokenAccount, mintTo) send real transactions over RPC.

let chain: LocalChain;
let connection: Connection;
let payer: Keypair;
let mint: PublicKey;
let owner: Keypair;
let ownerAta: PublicKey;

beforeAll(async () => {
  chain = await startLocalChain({ slotMs: 50 });
  connection = chain.connection();
  payer = Keypair.generate();
  await chain.airdrop(payer.publicKey, 10 * LAMPORTS_PER_SOL);
  mint = await splToken.createMint(connection, payer, payer.publicKey, null, 6);
  owner = Keypair.generate();
  ownerAta = (await splToken.getOrCreateAssociatedTokenAccount(connection, payer, mint, owner.publicKey))
    .address;
  await splToken.mintTo(connection, payer, mint, ownerAta, payer, 123_450_000n);
});

afterAll(() => chain.stop());

/** A raw JSON-RPC call, for what web3.js would not send. */
async function rpc(method: string, params: unknown[] = []) {
  const response = await fetch(chain.rpcUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
}

describe('cluster methods', () => {
  it('describe the node and its slots', async () => {
    expect(await connection.getVersion()).toMatchObject({ 'solana-core': expect.any(String) });
    expect(await rpc('getHealth')).toMatchObject({ result: 'ok' });
    expect(await (await fetch(`${chain.rpcUrl}/health`)).text()).toBe('ok');
    const genesis = await connection.getGenesisHash();
    expect(await connection.getGenesisHash()).toBe(genesis);
    const epoch = await connection.getEpochInfo();
    expect(epoch).toMatchObject({ epoch: 0, slotsInEpoch: 432_000, absoluteSlot: epoch.blockHeight });
    expect(await connection.getBlockHeight('confirmed')).toBeGreaterThanOrEqual(epoch.blockHeight ?? 0);
  });

  it('gives a blockhash that stays valid for 150 blocks', async () => {
    const before = await connection.getBlockHeight('confirmed');
    const latest = await connection.getLatestBlockhash('confirmed');
    const after = await connection.getBlockHeight('confirmed');
    expect(latest.lastValidBlockHeight - 150).toBeGreaterThanOrEqual(before);
    expect(latest.lastValidBlockHeight - 150).toBeLessThanOrEqual(after);
    expect((await connection.isBlockhashValid(latest.blockhash)).value).toBe(true);
    expect((await connection.isBlockhashValid(Keypair.generate().publicKey.toBase58())).value).toBe(false);
  });

  it('prices a message and rent exemption as a cluster does', async () => {
    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [
        SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: owner.publicKey, lamports: 1 }),
      ],
    }).compileToV0Message();
    expect((await connection.getFeeForMessage(message)).value).toBe(5000);
    expect(await connection.getMinimumBalanceForRentExemption(165)).toBe(2_039_280);
    expect(await connection.getMinimumBalanceForRentExemption(0)).toBe(890_880);
  });
});

describe('account methods', () => {
  it('serve token accounts in base64 that spl-token decodes', async () => {
    const account = await splToken.getAccount(connection, ownerAta);
    expect(account).toMatchObject({
      mint,
      owner: owner.publicKey,
      amount: 123_450_000n,
      isInitialized: true,
    });
    const mintInfo = await splToken.getMint(connection, mint);
    expect(mintInfo).toMatchObject({ decimals: 6, supply: 123_450_000n, mintAuthority: payer.publicKey });
  });

  it('parse token accounts and mints like devnet', async () => {
    const { value: parsedAccount } = await connection.getParsedAccountInfo(ownerAta);
    expect(parsedAccount?.data).toEqual({
      program: 'spl-token',
      space: 165,
      parsed: {
        type: 'account',
        info: {
          isNative: false,
          mint: mint.toBase58(),
          owner: owner.publicKey.toBase58(),
          state: 'initialized',
          tokenAmount: { amount: '123450000', decimals: 6, uiAmount: 123.45, uiAmountString: '123.45' },
        },
      },
    });
    const { value: parsedMint } = await connection.getParsedAccountInfo(mint);
    expect((parsedMint?.data as ParsedAccountData).parsed).toEqual({
      type: 'mint',
      info: {
        decimals: 6,
        freezeAuthority: null,
        isInitialized: true,
        mintAuthority: payer.publicKey.toBase58(),
        supply: '123450000',
      },
    });
    expect((await connection.getTokenSupply(mint)).value).toMatchObject({
      amount: '123450000',
      uiAmountString: '123.45',
    });
    expect((await connection.getTokenAccountBalance(ownerAta)).value).toMatchObject({
      amount: '123450000',
      uiAmount: 123.45,
    });
  });

  it('find an owner’s token accounts by mint and by program', async () => {
    const byMint = await connection.getTokenAccountsByOwner(owner.publicKey, { mint });
    expect(byMint.value.map((entry) => entry.pubkey.toBase58())).toEqual([ownerAta.toBase58()]);
    const byProgram = await connection.getParsedTokenAccountsByOwner(owner.publicKey, {
      programId: splToken.TOKEN_PROGRAM_ID,
    });
    expect(byProgram.value[0].account.data.parsed.info.tokenAmount.amount).toBe('123450000');
    const none = await connection.getTokenAccountsByOwner(Keypair.generate().publicKey, { mint });
    expect(none.value).toEqual([]);
  });

  it('read several accounts at once and filter program accounts', async () => {
    const missing = Keypair.generate().publicKey;
    const [ata, absent, wallet] = await connection.getMultipleAccountsInfo([
      ownerAta,
      missing,
      payer.publicKey,
    ]);
    expect(ata?.owner.equals(splToken.TOKEN_PROGRAM_ID)).toBe(true);
    expect(absent).toBeNull();
    expect(wallet?.owner.equals(SystemProgram.programId)).toBe(true);
    const owned = await connection.getProgramAccounts(splToken.TOKEN_PROGRAM_ID, {
      filters: [{ dataSize: 165 }, { memcmp: { offset: 32, bytes: owner.publicKey.toBase58() } }],
    });
    expect(owned.map((entry) => entry.pubkey.toBase58())).toEqual([ownerAta.toBase58()]);
  });

  it('answer mistakes with devnet’s errors', async () => {
    await expect(connection.getTokenAccountBalance(payer.publicKey)).rejects.toThrow(SolanaJSONRPCError);
    await expect(connection.getTokenAccountBalance(payer.publicKey)).rejects.toThrow('not a Token account');
    expect((await rpc('getBalance', ['not-a-key'])).error).toMatchObject({
      code: -32602,
      message: 'Invalid param: Invalid',
    });
    expect((await rpc('getBlockProduction')).error).toEqual({ code: -32601, message: 'Method not found' });
    // Devnet's default encoding is base58, which it refuses for accounts over 128 bytes.
    expect((await rpc('getAccountInfo', [ownerAta.toBase58()])).error).toMatchObject({ code: -32600 });
  });
});

describe('transactions beyond legacy', () => {
  it('accepts a v0 transaction and names its version only to clients that support it', async () => {
    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: [
        SystemProgram.transfer({
          fromPubkey: payer.publicKey,
          toPubkey: owner.publicKey,
          lamports: LAMPORTS_PER_SOL,
        }),
      ],
    }).compileToV0Message();
    const tx = new VersionedTransaction(message);
    tx.sign([payer]);
    const signature = await connection.sendTransaction(tx);
    await connection.confirmTransaction({ signature, blockhash, lastValidBlockHeight: 1e9 }, 'confirmed');
    await expect(connection.getTransaction(signature, { commitment: 'confirmed' } as never)).rejects.toThrow(
      'Transaction version (0) is not supported',
    );
    const landed = await connection.getTransaction(signature, {
      commitment: 'confirmed',
      maxSupportedTransactionVersion: 0,
    });
    expect(landed?.version).toBe(0);
    expect(landed?.meta?.loadedAddresses).toEqual({ writable: [], readonly: [] });
  });

  it('simulates an unsigned transaction and returns the accounts it would write', async () => {
    const recipient = Keypair.generate().publicKey;
    const tx = new Transaction().add(
      SystemProgram.transfer({
        fromPubkey: payer.publicKey,
        toPubkey: recipient,
        lamports: LAMPORTS_PER_SOL,
      }),
    );
    tx.feePayer = payer.publicKey;
    const legacy = await connection.simulateTransaction(tx);
    expect(legacy.value.err).toBeNull();
    expect(legacy.value.logs).toContain('Program 11111111111111111111111111111111 success');

    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: payer.publicKey,
      recentBlockhash: blockhash,
      instructions: tx.instructions,
    }).compileToV0Message();
    const simulated = await connection.simulateTransaction(new VersionedTransaction(message), {
      sigVerify: false,
      replaceRecentBlockhash: true,
      accounts: { encoding: 'base64', addresses: [recipient.toBase58()] },
    });
    expect(simulated.value.accounts?.[0]?.lamports).toBe(LAMPORTS_PER_SOL);
    expect(await connection.getBalance(recipient)).toBe(0);
  });
});
