import {
  Connection,
  Keypair,
  PublicKey,
  sendAndConfirmTransaction,
  Transaction,
  TransactionInstruction,
} from '@solana/web3.js';
import bs58 from 'bs58';
import { randomBytes } from 'node:crypto';
import { LocalChain, memoInstruction, splToken } from '@tessera/chain';
import { createAccount, eventually, gql, gqlRaw } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { ChainService } from '../chain/chain.service';
import { parseTsr } from '../ledger/amount';
import { ledgerAccount } from '../ledger/ledger-account';
import { LedgerService } from '../ledger/ledger.service';

// Medium tests of deposits: a real coordinator on PostgreSQL with its embedded local chain, real
// SPL transfers built as a wallet builds them, confirmed through GraphQL.

const units = (text: string) => parseTsr(text);

describe('deposits on the local chain', () => {
  let env: TestCoordinator;
  let chain: ChainService;
  let local: LocalChain;
  let connection: Connection;
  let customer: { apiKey: string; accountId: string };
  let wallet: Keypair;
  let walletTokenAccount: PublicKey;

  const CONFIRM = `mutation($s: String!) { confirmDeposit(signature: $s) { id signature amount currency wallet slot explorerUrl createdAt } }`;
  const confirm = (signature: string, apiKey = customer.apiKey) =>
    gqlRaw<{
      confirmDeposit: { amount: string; signature: string; wallet: string; explorerUrl: string | null };
    }>(env.url, CONFIRM, { s: signature }, apiKey);
  const available = (accountId: string) =>
    env.get<LedgerService>(LedgerService).balance(ledgerAccount.customerAvailable(accountId));
  const errorOf = (result: { errors?: { message: string; extensions?: { code?: string } }[] }) =>
    result.errors?.[0];

  beforeAll(async () => {
    env = await startTestCoordinator({ TESSERA_CHAIN_SLOT_MS: '50', DATABASE_POOL_SIZE: '4' });
    chain = env.get(ChainService);
    local = chain.embedded as LocalChain;
    connection = local.connection();
    customer = await createAccount(env.url, 'depositor');
    wallet = Keypair.generate();
    const minted = await gql<{ requestTestTokens: { tokenAccount: string; amount: string; sol: number } }>(
      env.url,
      `mutation($w: String!) { requestTestTokens(wallet: $w, amount: "1000") { tokenAccount amount sol } }`,
      { w: wallet.publicKey.toBase58() },
      customer.apiKey,
    );
    walletTokenAccount = new PublicKey(minted.requestTestTokens.tokenAccount);
    expect(minted.requestTestTokens).toMatchObject({ amount: '1000', sol: 1 });
  });
  afterAll(() => env.stop());

  /** Sends a transaction from the customer's wallet, waits until it is finalized; returns its signature. */
  async function sendFinalized(
    instructions: TransactionInstruction[],
    signers: Keypair[] = [wallet],
  ): Promise<string> {
    const signature = await sendAndConfirmTransaction(
      connection,
      new Transaction().add(...instructions),
      signers,
    );
    await waitFinalized(signature);
    return signature;
  }

  async function waitFinalized(signature: string): Promise<void> {
    await eventually(
      async () => (await connection.getSignatureStatus(signature)).value?.confirmationStatus === 'finalized',
      10_000,
    );
  }

  const memoOf = (accountId: string) => memoInstruction(`tessera:deposit:${accountId}`);
  const transferTo = (
    destination: PublicKey,
    amount: bigint,
    mint = chain.mint,
    source = walletTokenAccount,
  ) => splToken.createTransferCheckedInstruction(source, mint, destination, wallet.publicKey, amount, 6);

  it('describes the cluster, token, treasury and the memo for the signed-in account', async () => {
    const query = `{ chain { cluster rpcUrl mint decimals currency treasury treasuryTokenAccount testTokens depositMemo payoutMinimum } }`;
    const { chain: info } = await gql<{ chain: Record<string, unknown> }>(
      env.url,
      query,
      {},
      customer.apiKey,
    );
    expect(info).toEqual({
      cluster: 'local',
      rpcUrl: local.rpcUrl,
      mint: chain.mint.toBase58(),
      decimals: 6,
      currency: 'TSR',
      treasury: chain.treasury.toBase58(),
      treasuryTokenAccount: chain.treasuryTokenAccount.toBase58(),
      testTokens: true,
      depositMemo: `tessera:deposit:${customer.accountId}`,
      payoutMinimum: '1',
    });
    const anonymous = await gql<{ chain: { depositMemo: string | null } }>(
      env.url,
      `{ chain { depositMemo } }`,
    );
    expect(anonymous.chain.depositMemo).toBeNull();
  });

  it('credits a valid deposit exactly once and lists it', async () => {
    const before = await available(customer.accountId);
    const signature = await sendFinalized([
      transferTo(chain.treasuryTokenAccount, units('25')),
      memoOf(customer.accountId),
    ]);

    const first = await confirm(signature);
    expect(first.errors).toBeUndefined();
    expect(first.data?.confirmDeposit).toMatchObject({
      signature,
      amount: '25',
      wallet: wallet.publicKey.toBase58(),
      explorerUrl: null,
    });
    expect(await available(customer.accountId)).toBe(before + units('25'));

    const again = await confirm(signature);
    expect(errorOf(again)?.extensions?.code).toBe('DEPOSIT_REPLAYED');
    expect(errorOf(again)?.message).toMatch(
      /^DEPOSIT_REPLAYED: transaction \w+ was already credited \(25 TSR to this account at /,
    );
    expect(await available(customer.accountId)).toBe(before + units('25'));

    const listed = await gql<{ deposits: { signature: string; amount: string }[] }>(
      env.url,
      `{ deposits { signature amount } }`,
      {},
      customer.apiKey,
    );
    expect(listed.deposits[0]).toEqual({ signature, amount: '25' });
  });

  it('credits once when the same signature is confirmed concurrently', async () => {
    const before = await available(customer.accountId);
    const signature = await sendFinalized([
      transferTo(chain.treasuryTokenAccount, units('7.5')),
      memoOf(customer.accountId),
    ]);
    const results = await Promise.all(Array.from({ length: 8 }, () => confirm(signature)));
    const succeeded = results.filter((r) => !r.errors);
    expect(succeeded).toHaveLength(1);
    expect(results.filter((r) => errorOf(r)?.extensions?.code === 'DEPOSIT_REPLAYED')).toHaveLength(7);
    expect(await available(customer.accountId)).toBe(before + units('7.5'));
  });

  it('refuses a transaction confirmed but not finalized, then credits it once it is', async () => {
    local.pauseFinality();
    let signature: string;
    try {
      signature = await sendAndConfirmTransaction(
        connection,
        new Transaction().add(transferTo(chain.treasuryTokenAccount, units('3')), memoOf(customer.accountId)),
        [wallet],
      );
      const early = await confirm(signature);
      expect(errorOf(early)).toMatchObject({
        message:
          'DEPOSIT_NOT_FINAL: the transaction is confirmed but not finalized yet; try again in a few seconds',
        extensions: { code: 'DEPOSIT_NOT_FINAL' },
      });
    } finally {
      local.resumeFinality();
    }
    await waitFinalized(signature);
    expect((await confirm(signature)).data?.confirmDeposit.amount).toBe('3');
  });

  describe('refuses what is not a deposit to this account, each with its own code', () => {
    let otherAccount: { apiKey: string; accountId: string };

    beforeAll(async () => {
      otherAccount = await createAccount(env.url, 'someone else');
    });

    it('another token', async () => {
      const { mint: otherMint, authority } = await local.createMint({ decimals: 6 });
      const { tokenAccount: source } = await local.mintTo({
        mint: otherMint,
        owner: wallet.publicKey,
        amount: units('50'),
        authority,
      });
      const treasuryOther = await local.createAssociatedTokenAccount(otherMint, chain.treasury);
      const signature = await sendFinalized([
        transferTo(treasuryOther, units('5'), otherMint, source),
        memoOf(customer.accountId),
      ]);
      const result = await confirm(signature);
      expect(errorOf(result)?.extensions?.code).toBe('DEPOSIT_WRONG_MINT');
      expect(errorOf(result)?.message).toContain(
        `transfers ${otherMint.toBase58()}, not this coordinator's token`,
      );
    });

    it('our token sent somewhere other than the treasury', async () => {
      const elsewhere = await local.createAssociatedTokenAccount(chain.mint, Keypair.generate().publicKey);
      const signature = await sendFinalized([transferTo(elsewhere, units('1')), memoOf(customer.accountId)]);
      const result = await confirm(signature);
      expect(errorOf(result)?.extensions?.code).toBe('DEPOSIT_WRONG_DESTINATION');
      expect(errorOf(result)?.message).toContain(
        `went to ${elsewhere.toBase58()}, not to the treasury's token account`,
      );
    });

    it('no memo', async () => {
      const signature = await sendFinalized([transferTo(chain.treasuryTokenAccount, units('1'))]);
      expect(errorOf(await confirm(signature))?.extensions?.code).toBe('DEPOSIT_NO_MEMO');
    });

    it("someone else's memo, which that account can then confirm", async () => {
      const before = await available(otherAccount.accountId);
      const signature = await sendFinalized([
        transferTo(chain.treasuryTokenAccount, units('2')),
        memoOf(otherAccount.accountId),
      ]);
      const mine = await confirm(signature);
      expect(errorOf(mine)?.extensions?.code).toBe('DEPOSIT_MEMO_MISMATCH');
      expect(errorOf(mine)?.message).toContain(
        `the memo "tessera:deposit:${otherAccount.accountId}" names another account`,
      );
      expect((await confirm(signature, otherAccount.apiKey)).data?.confirmDeposit.amount).toBe('2');
      expect(await available(otherAccount.accountId)).toBe(before + units('2'));
    });

    it('a memo that names no account', async () => {
      const signature = await sendFinalized([
        transferTo(chain.treasuryTokenAccount, units('1')),
        memoInstruction('thanks!'),
      ]);
      expect(errorOf(await confirm(signature))?.extensions?.code).toBe('DEPOSIT_MEMO_MISMATCH');
    });

    it('a transaction that moves no tokens', async () => {
      const signature = await sendFinalized([memoOf(customer.accountId)]);
      expect(errorOf(await confirm(signature))?.extensions?.code).toBe('DEPOSIT_NO_TRANSFER');
    });

    it('a failed transaction', async () => {
      const tx = new Transaction().add(
        transferTo(chain.treasuryTokenAccount, units('1000000')),
        memoOf(customer.accountId),
      );
      const latest = await connection.getLatestBlockhash();
      tx.recentBlockhash = latest.blockhash;
      tx.feePayer = wallet.publicKey;
      tx.sign(wallet);
      const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
      await eventually(
        async () =>
          (await connection.getSignatureStatus(signature)).value?.confirmationStatus === 'finalized',
        10_000,
      );
      const result = await confirm(signature);
      expect(errorOf(result)?.extensions?.code).toBe('DEPOSIT_FAILED');
      expect(errorOf(result)?.message).toContain('nothing was transferred');
    });

    it('a signature the cluster does not know', async () => {
      const result = await confirm(bs58.encode(randomBytes(64)));
      expect(errorOf(result)?.extensions?.code).toBe('DEPOSIT_NOT_FOUND');
    });

    it('something that is not a signature, and an anonymous caller', async () => {
      expect(errorOf(await confirm('not-a-signature'))?.extensions?.code).toBe('BAD_INPUT');
      const anonymous = await gqlRaw(env.url, CONFIRM, { s: bs58.encode(randomBytes(64)) });
      expect(errorOf(anonymous)?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  it('keeps the books balanced, the treasury holding what the ledger says it received', async () => {
    const report = await env.get<LedgerService>(LedgerService).checkInvariant();
    expect(report.ok).toBe(true);
  });
});
