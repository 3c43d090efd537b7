import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Connection, Keypair, ParsedInstruction, PublicKey } from '@solana/web3.js';
import bs58 from 'bs58';
import { DataSource } from 'typeorm';
import { LocalChain } from '@tessera/chain';
import { eventually, gql, testCapabilities } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { ChainService } from '../chain/chain.service';
import { CrashPoints, SimulatedCrash } from '../common/crash-points';
import type { CrashPoint } from '../config/chain-config';
import { formatTsr, parseTsr } from '../ledger/amount';
import { ledgerAccount } from '../ledger/ledger-account';
import { LedgerService } from '../ledger/ledger.service';
import { ProvidersService } from '../providers/providers.service';
import { PayoutRun, PayoutWorkerService } from './payout-worker.service';

// Medium tests of the payout worker: a real coordinator on PostgreSQL with its embedded local chain;
// earnings come from real ledger postings (a funded escrow captured into provider earnings), and
// payouts are real SPL transfers whose on-chain results are checked against the ledger.

interface Provider {
  id: string;
  /** Where it is paid: its owner wallet, or its own address. */
  wallet: PublicKey;
  earned: bigint;
}

describe('the payout worker', () => {
  let env: TestCoordinator;
  let chain: ChainService;
  let local: LocalChain;
  let connection: Connection;
  let ledger: LedgerService;
  let worker: PayoutWorkerService;

  beforeAll(async () => {
    env = await startTestCoordinator({
      TESSERA_CHAIN_SLOT_MS: '50',
      TESSERA_PAYOUT_INTERVAL_SEC: '3600', // runs are driven by the tests
      TESSERA_PAYOUT_MIN: '1',
      DATABASE_POOL_SIZE: '6',
    });
    chain = env.get(ChainService);
    local = chain.embedded as LocalChain;
    connection = local.connection();
    ledger = env.get(LedgerService);
    worker = env.get(PayoutWorkerService);
  });
  afterAll(() => env.stop());
  afterEach(() => jest.restoreAllMocks());

  /** Providers that earned `amounts` through a captured task each; some paid to a separate owner wallet. */
  async function providersWithEarnings(
    amounts: string[],
    opts: { owners?: boolean } = {},
  ): Promise<Provider[]> {
    const customer = randomUUID();
    const jobId = randomUUID();
    const total = amounts.reduce((sum, a) => sum + parseTsr(a), 0n);
    await ledger.creditDeposit(customer, total, bs58.encode(randomBytes(64)));
    await ledger.reserve(jobId, customer, total);
    const out: Provider[] = [];
    for (const [i, amount] of amounts.entries()) {
      const address = Keypair.generate().publicKey;
      const owner = opts.owners && i % 3 === 0 ? Keypair.generate().publicKey : null;
      const p = await env
        .get<ProvidersService>(ProvidersService)
        .connected(address.toBase58(), `p${i}`, testCapabilities(), 'test', owner?.toBase58() ?? null);
      await ledger.captureTask(jobId, randomUUID(), p.id, parseTsr(amount), 0);
      out.push({ id: p.id, wallet: owner ?? address, earned: parseTsr(amount) });
    }
    return out;
  }

  async function onChain(wallet: PublicKey): Promise<bigint> {
    return chain.tokenBalance(chain.tokenAccountOf(wallet));
  }

  const earnings = (id: string) => ledger.balance(ledgerAccount.providerEarnings(id));
  const inFlight = (id: string) => ledger.balance(ledgerAccount.providerPayoutsInFlight(id));

  /** Runs until nothing is left unfinished (a run waits a bounded time for finality). */
  async function runUntilSettled(): Promise<PayoutRun[]> {
    const runs: PayoutRun[] = [];
    for (let i = 0; i < 10; i++) {
      const run = await worker.runOnce();
      runs.push(run);
      if (run.batches.every((b) => b.state !== 'PENDING' && b.state !== 'SENT')) return runs;
    }
    throw new Error(`payouts did not settle: ${JSON.stringify(runs.at(-1))}`);
  }

  /**
   * One run that "crashes" at `point`: the in-process stand-in for the e2e test's SIGKILL ends the
   * run there. Its batches stay claimed until their lease runs out, as a dead process's would; the
   * test then releases them rather than wait, like a restart after the lease.
   */
  async function runCrashingAt(point: CrashPoint): Promise<void> {
    jest.spyOn(env.get<CrashPoints>(CrashPoints), 'reach').mockImplementation((reached) => {
      if (reached === point) throw new SimulatedCrash(point);
    });
    try {
      await expect(worker.runOnce()).rejects.toBeInstanceOf(SimulatedCrash);
    } finally {
      jest.restoreAllMocks();
    }
    await env.get<DataSource>(DataSource).query(`UPDATE payout_batch SET claimed_until = NULL`);
  }

  async function batchStates(): Promise<{ id: string; state: string; signature: string | null }[]> {
    return env
      .get<DataSource>(DataSource)
      .query(`SELECT id, state, signature FROM payout_batch ORDER BY created_at DESC LIMIT 5`);
  }

  async function expectPaidExactlyOnce(providers: Provider[], before: Map<string, bigint>): Promise<void> {
    for (const p of providers) {
      expect(await onChain(p.wallet)).toBe((before.get(p.wallet.toBase58()) ?? 0n) + p.earned);
      expect(await earnings(p.id)).toBe(0n);
      expect(await inFlight(p.id)).toBe(0n);
    }
    expect((await ledger.checkInvariant()).ok).toBe(true);
  }

  it('pays 12 providers in one transaction of 12 transferChecked and a memo, creating missing token accounts', async () => {
    const providers = await providersWithEarnings(
      Array.from({ length: 12 }, (_, i) => `${i + 1}.5`),
      { owners: true },
    );
    // A third of the wallets already hold a token account; the worker creates the others.
    for (const p of providers.slice(0, 4)) {
      const account = await local.createAssociatedTokenAccount(chain.mint, p.wallet);
      // The worker looks for token accounts at 'confirmed': wait until these are, or it creates them too.
      await eventually(async () => (await connection.getAccountInfo(account, 'confirmed')) !== null);
    }
    const treasuryBefore = await chain.tokenBalance(chain.treasuryTokenAccount);

    const runs = await runUntilSettled();
    const batches = runs.flatMap((r) => r.batches);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ state: 'PAID', transfers: 12 });

    const tx = await connection.getParsedTransaction(batches[0].signature as string, {
      commitment: 'finalized',
      maxSupportedTransactionVersion: 0,
    });
    const instructions = tx!.transaction.message.instructions as ParsedInstruction[];
    const transfers = instructions.filter((ix) => ix.program === 'spl-token');
    expect(transfers).toHaveLength(12);
    expect(transfers.every((ix) => (ix.parsed as { type: string }).type === 'transferChecked')).toBe(true);
    expect(instructions.at(-1)).toMatchObject({
      program: 'spl-memo',
      parsed: `tessera:payout:${batches[0].id}`,
    });

    await expectPaidExactlyOnce(providers, new Map());
    const total = providers.reduce((sum, p) => sum + p.earned, 0n);
    expect(await chain.tokenBalance(chain.treasuryTokenAccount)).toBe(treasuryBefore - total);

    // The token accounts were created by the treasury in a setup transaction, its cost recorded once final.
    await worker.runOnce();
    const setups: { state: string; wallets: string[]; rentLamports: string; feeLamports: string }[] =
      await env
        .get<DataSource>(DataSource)
        .query(
          `SELECT state, wallets, rent_lamports AS "rentLamports", fee_lamports AS "feeLamports" FROM token_account_setup`,
        );
    expect(setups.flatMap((s) => s.wallets).sort()).toEqual(
      providers
        .slice(4)
        .map((p) => p.wallet.toBase58())
        .sort(),
    );
    const rentPerAccount = BigInt(await connection.getMinimumBalanceForRentExemption(165));
    expect(setups.every((s) => s.state === 'DONE')).toBe(true);
    expect(setups.reduce((sum, s) => sum + BigInt(s.rentLamports), 0n)).toBe(8n * rentPerAccount);
    expect(setups.every((s) => BigInt(s.feeLamports) === 5000n)).toBe(true);
  });

  it("shows a provider's earnings and payouts on its public record", async () => {
    const [provider] = await providersWithEarnings(['4.25']);
    await runUntilSettled();
    const [leftover] = await providersWithEarnings(['0.5']); // below the minimum: waits
    await runUntilSettled();
    const query = `query($id: ID!) { provider(id: $id) { earnings { pending inFlight paid currency }
      payouts { id state amount wallet signature explorerUrl transfers batchId finishedAt } } }`;
    const record = await gql<{ provider: { earnings: unknown; payouts: Record<string, unknown>[] } }>(
      env.url,
      query,
      {
        id: provider.id,
      },
    );
    expect(record.provider.earnings).toEqual({ pending: '0', inFlight: '0', paid: '4.25', currency: 'TSR' });
    expect(record.provider.payouts).toEqual([
      expect.objectContaining({
        state: 'PAID',
        amount: '4.25',
        wallet: provider.wallet.toBase58(),
        signature: expect.any(String),
        explorerUrl: null,
        transfers: 1,
      }),
    ]);
    const waiting = await gql<{ provider: { earnings: unknown; payouts: unknown[] } }>(env.url, query, {
      id: leftover.id,
    });
    expect(waiting.provider).toEqual({
      earnings: { pending: '0.5', inFlight: '0', paid: '0', currency: 'TSR' },
      payouts: [],
    });
  });

  it('splits 20 providers into a full transaction of 18 and one of 2', async () => {
    const providers = await providersWithEarnings(Array.from({ length: 20 }, () => '2'));
    const batches = (await runUntilSettled()).flatMap((r) => r.batches);
    expect(batches.map((b) => b.transfers).sort((a, b) => b - a)).toEqual([18, 2]);
    await expectPaidExactlyOnce(providers, new Map());
  });

  describe('after a crash', () => {
    it('before sending: re-sends the stored transaction, and pays once', async () => {
      const providers = await providersWithEarnings(['3', '5', '7']);
      await runCrashingAt('payout:before-send');
      const [crashed] = await batchStates();
      expect(crashed.state).toBe('SENT');
      const signature = crashed.signature as string;
      expect(
        (await connection.getSignatureStatus(signature, { searchTransactionHistory: true })).value,
      ).toBeNull();
      for (const p of providers) expect(await inFlight(p.id)).toBe(p.earned);

      const runs = await runUntilSettled();
      expect(runs.flatMap((r) => r.batches)).toEqual([expect.objectContaining({ state: 'PAID', signature })]);
      await expectPaidExactlyOnce(providers, new Map());
    });

    it('before sending, and its blockhash expired: cancels it and pays in a new transaction, once', async () => {
      const providers = await providersWithEarnings(['1', '2']);
      await runCrashingAt('payout:before-send');
      const [crashed] = await batchStates();
      local.advanceSlots(160); // past lastValidBlockHeight, and finalized past it

      const runs = await runUntilSettled();
      const states = runs.flatMap((r) => r.batches).map((b) => [b.id, b.state]);
      expect(states).toContainEqual([crashed.id, 'EXPIRED']);
      expect(states.filter(([, state]) => state === 'PAID')).toHaveLength(1);
      await expectPaidExactlyOnce(providers, new Map());
      const payouts = await gql<{ provider: { payouts: { state: string }[] } }>(
        env.url,
        `query($id: ID!) { provider(id: $id) { payouts { state } } }`,
        { id: providers[0].id },
      );
      expect(payouts.provider.payouts.map((p) => p.state)).toEqual(['PAID', 'CANCELLED']);
    });

    it.each(['payout:after-send', 'payout:after-record'] as const)(
      'at %s: finds it on chain and records it once',
      async (point) => {
        const providers = await providersWithEarnings(['6', '1.75', '1.25']);
        await runCrashingAt(point);
        expect((await batchStates())[0].state).toBe('SENT');
        await runUntilSettled();
        await expectPaidExactlyOnce(providers, new Map());
      },
    );
  });

  it('pays every provider exactly once when two replicas run at the same time', async () => {
    // A second coordinator on the same database and the same chain (the first one's embedded chain).
    const replica = await startTestCoordinator(
      {
        TESSERA_CHAIN_RPC_URL: chain.rpcUrl,
        TESSERA_TOKEN_MINT: chain.mint.toBase58(),
        TESSERA_TREASURY_KEYPAIR: join(env.dataDir, 'chain', 'treasury.json'),
        TESSERA_PAYOUT_INTERVAL_SEC: '3600',
        DATABASE_POOL_SIZE: '6',
      },
      { db: env.db },
    );
    try {
      const providers = await providersWithEarnings(
        Array.from({ length: 30 }, (_, i) => formatTsr(1_000_000n + BigInt(i))),
      );
      const other = replica.get<PayoutWorkerService>(PayoutWorkerService);
      const runs = await Promise.all([worker.runOnce(), other.runOnce(), worker.runOnce(), other.runOnce()]);
      for (let i = 0; i < 5; i++) await Promise.all([worker.runOnce(), other.runOnce()]);
      const paid = runs.flatMap((r) => r.batches);
      expect(new Set(paid.map((b) => b.id)).size).toBeGreaterThanOrEqual(2);
      await expectPaidExactlyOnce(providers, new Map());
    } finally {
      await replica.stop();
    }
  });
});
