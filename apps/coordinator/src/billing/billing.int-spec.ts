import { getDataSourceToken } from '@nestjs/typeorm';
import type { Lease } from '@tessera/protocol';
import { CheatingProvider, eventually, gql } from '@tessera/testing';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { InferenceWork } from '../../test/inference-work';
import { ProviderGateway } from '../gateway/provider-gateway';
import { JobsService } from '../jobs/jobs.service';
import { LedgerService } from '../ledger/ledger.service';
import { ledgerAccount } from '../ledger/ledger-account';
import { checkLedger } from '../bootstrap';
import { CoordinatorConfig } from '../config/config';
import { BillingService } from './billing.service';

// Medium test: money follows work through the real coordinator: a priced job reserves its cap,
// each task is charged only once its spot-check passed, a rejected result is never charged and
// slashes its provider's bond, the rest is refunded, and the ledger balances throughout.

const ROWS = 4;
const line = (row: number, text = `T${row}`) =>
  JSON.stringify({ row, id: row, outputs: { text, confidence: 0.9 } });

describe('billing through the coordinator', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let accountId: string;
  let apiKey: string;
  let work: InferenceWork;
  let ledger: LedgerService;
  const open: CheatingProvider[] = [];

  beforeAll(async () => {
    env = await startTestCoordinator({
      TESSERA_PLATFORM_FEE_BPS: '1000',
      TESSERA_PROVIDER_BOND: '0.5',
      TESSERA_SIGNUP_CREDIT: '10',
    });
    db = env.get(getDataSourceToken());
    ledger = env.get(LedgerService);
    (env.get(ProviderGateway) as unknown as { claimWaitMs: number }).claimWaitMs = 1000;
    work = await InferenceWork.forNewAccount(env, 'billing');
    ({ accountId, apiKey } = work);
  });
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });
  afterAll(() => env.stop());

  async function provider(): Promise<CheatingProvider> {
    const p = await CheatingProvider.connect(env.url, { kinds: ['inference'], images: ['tessera/onnx:1'] });
    open.push(p);
    return p;
  }

  /** A priced job of `tasks` inference shards, reserved as submission reserves it. */
  const pricedJob = (tasks: number, estimatedCost: string): Promise<string> =>
    work.job({ rows: Array<number>(tasks).fill(ROWS), estimatedCost: Number(estimatedCost), name: 'priced' });

  const rows = (lease: Lease, text?: (row: number) => string) => {
    const p = lease.task.params as { firstRow: number; rows: number; check?: { rows: number[] } };
    const numbers = p.check ? p.check.rows : Array.from({ length: p.rows }, (_, i) => p.firstRow + i);
    // A verifier numbers its rows from 0; the worker numbers the shard's rows from firstRow.
    const lines = numbers
      .map((n) => JSON.parse(line(n, text?.(n))) as Record<string, unknown>)
      .map((l, j) => (p.check ? { ...l, row: j } : l));
    return async () => ({
      files: [
        { path: 'outputs.jsonl', data: Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n') },
      ],
    });
  };

  const balance = async (name: ReturnType<(typeof ledgerAccount)[keyof typeof ledgerAccount]>) =>
    ledger.balance(name);
  const units = (tsr: number) => BigInt(Math.round(tsr * 1e6));

  it('reserves the cap, charges each task once its check passed, pays the provider less the fee and its bond, and refunds the rest', async () => {
    const before = await balance(ledgerAccount.customerAvailable(accountId));
    expect(before).toBe(units(10)); // the signup credit
    const jobId = await pricedJob(2, '3');
    expect(await balance(ledgerAccount.customerAvailable(accountId))).toBe(units(7));
    const [worker, verifier] = [await provider(), await provider()];
    for (let i = 0; i < 2; i++) {
      const lease = await worker.nextLease();
      await worker.deliver(lease, rows(lease));
      // Not charged while its spot-check runs.
      expect(await balance(ledgerAccount.providerEarnings(worker.providerId))).toBe(
        i === 0 ? 0n : units(0.85),
      );
      const check = await verifier.nextLease();
      expect(check.task.params.check).toBeDefined();
      await verifier.deliver(check, rows(check));
    }
    await eventually(
      async () =>
        (await env.get<JobsService>(JobsService).get({ kind: 'account', accountId }, jobId)).state ===
        'COMPLETED',
    );
    // 2 tasks × 1.5 TSR, 10 % fee; the first 0.5 TSR earned is held as the bond. Each check
    // re-ran a whole 4-row shard (a share of 1, due 1.5 TSR): the verifier is paid what the fees
    // cover, the 0.15 TSR fee of the task it checked.
    await eventually(
      async () => (await balance(ledgerAccount.providerEarnings(verifier.providerId))) === units(0.3),
    );
    expect(await balance(ledgerAccount.platformFees())).toBe(0n);
    const [paid] = await db.query(`SELECT count(*)::int AS n FROM ledger_journal WHERE kind = 'check_pay'`);
    expect(paid.n).toBe(2);
    // Each provider sees what it earned by checking others: all of the verifier's pay, none of the worker's.
    const fromChecks = async (id: string) =>
      (
        await gql<{ provider: { earnings: { pending: string; fromChecks: string } } }>(
          env.url,
          `query($id: ID!) { provider(id: $id) { earnings { pending fromChecks } } }`,
          { id },
        )
      ).provider.earnings;
    expect(await fromChecks(verifier.providerId)).toEqual({ pending: '0.3', fromChecks: '0.3' });
    expect(await fromChecks(worker.providerId)).toEqual({ pending: '2.2', fromChecks: '0' });
    expect(await balance(ledgerAccount.providerEarnings(worker.providerId))).toBe(units(2.7 - 0.5));
    expect(await balance(ledgerAccount.providerBond(worker.providerId))).toBe(units(0.5));
    expect(await balance(ledgerAccount.customerAvailable(accountId))).toBe(units(7)); // 3 reserved, 3 charged
    const view = await gql<{
      me: { balance: { available: string; reserved: string } };
      job: { cost: { reserved: string; charged: string; refunded: string } };
    }>(
      env.url,
      `query($id: ID!) { me { balance { available reserved } } job(id: $id) { cost { reserved charged refunded } } }`,
      { id: jobId },
      apiKey,
    );
    expect(view).toEqual({
      me: { balance: { available: '7', reserved: '0' } },
      job: { cost: { reserved: '3', charged: '3', refunded: '0' } },
    });
    expect((await ledger.checkInvariant()).ok).toBe(true);
    // The customer's books: the signup credit, the reservation, the two charges out of escrow.
    const entries = await gql<{
      ledgerEntries: { items: { kind: string; account: string; amount: string; jobId: string | null }[] };
    }>(env.url, `{ ledgerEntries(limit: 10) { items { kind account amount jobId } } }`, {}, apiKey);
    expect(entries.ledgerEntries.items.map((e) => `${e.kind} ${e.account} ${e.amount}`)).toEqual([
      'task_capture escrow -1.5',
      'task_capture escrow -1.5',
      'escrow_reserve escrow 3',
      'escrow_reserve available -3',
      'adjustment available 10',
    ]);
    // What an operator runs: tessera-coordinator ledger-check.
    const report = await checkLedger({ database: { url: env.db.url } } as CoordinatorConfig);
    expect(report).toMatchObject({ ok: true, unbalancedJournals: [], mismatchedAccounts: [] });
  });

  it('never charges a rejected result, slashes its provider’s bond, and refunds what a cancelled job did not use', async () => {
    const [cheater, v1, v2] = [await provider(), await provider(), await provider()];
    // The cheater first earns a bond with honest work.
    const warmup = await pricedJob(1, '1');
    const w = await cheater.nextLease();
    expect(w.jobId).toBe(warmup);
    await cheater.deliver(w, rows(w));
    const warmupCheck = await v1.nextLease();
    await v1.deliver(warmupCheck, rows(warmupCheck));
    await eventually(
      async () => (await balance(ledgerAccount.providerBond(cheater.providerId))) === units(0.5),
    );
    const jobId = await pricedJob(2, '2');
    const lease = await cheater.nextLease();
    await cheater.deliver(
      lease,
      rows(lease, () => 'WRONG'),
    );
    for (const v of [v1, v2]) {
      const check = await v.nextLease();
      await v.deliver(check, rows(check));
    }
    await eventually(async () => (await balance(ledgerAccount.providerBond(cheater.providerId))) === 0n);
    expect(await balance(ledgerAccount.platformSlashed())).toBe(units(0.5));
    // Cancelled before anything of it was accepted: nothing charged, the cap comes back.
    const available = await balance(ledgerAccount.customerAvailable(accountId));
    await gql(env.url, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, { id: jobId }, apiKey);
    expect(await balance(ledgerAccount.customerAvailable(accountId))).toBe(available + units(2));
    const [captures] = await db.query(
      `SELECT count(*)::int AS n FROM ledger_journal WHERE job_id = $1 AND kind = 'task_capture'`,
      [jobId],
    );
    expect(captures.n).toBe(0);
    expect((await ledger.checkInvariant()).ok).toBe(true);
  });

  it('refuses a job whose cap the balance cannot cover, saying by how much and how to deposit', async () => {
    const billing = env.get<BillingService>(BillingService);
    const error = await billing.reserve(crypto.randomUUID(), accountId, units(1000)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      message: expect.stringMatching(/short by .* TSR.*tessera deposit/),
    });
  });
});
