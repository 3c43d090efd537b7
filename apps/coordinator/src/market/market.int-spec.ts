import { getDataSourceToken } from '@nestjs/typeorm';
import { CheatingProvider, eventually, gql, gqlRaw } from '@tessera/testing';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { honestRows, InferenceWork } from '../../test/inference-work';
import { ProviderGateway } from '../gateway/provider-gateway';
import { JobsService } from '../jobs/jobs.service';

// Medium test: the market's throughput and prices come from the work the real coordinator
// accepted (after its spot-checks) and what the ledger charged for it, within the window asked for.

interface Stats {
  windowMinutes: number;
  since: string;
  currency: string;
  kinds: {
    kind: string;
    itemUnit: string;
    tasksCompleted: number;
    itemsDone: number;
    averageTaskSeconds: number | null;
    busySeconds: number | null;
    pricedTasks: number;
    volume: string;
    medianPricePerItem: number | null;
    lastPricePerItem: number | null;
  }[];
}

const STATS = `windowMinutes since currency kinds {
  kind itemUnit tasksCompleted itemsDone averageTaskSeconds busySeconds pricedTasks volume medianPricePerItem lastPricePerItem }`;

describe('market statistics', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let work: InferenceWork;
  const open: CheatingProvider[] = [];

  beforeAll(async () => {
    env = await startTestCoordinator({
      TESSERA_PLATFORM_FEE_BPS: '1000',
      TESSERA_PROVIDER_BOND: '0',
      TESSERA_SIGNUP_CREDIT: '10',
    });
    db = env.get(getDataSourceToken());
    (env.get(ProviderGateway) as unknown as { claimWaitMs: number }).claimWaitMs = 1000;
    work = await InferenceWork.forNewAccount(env, 'market');
  });
  afterAll(async () => {
    for (const p of open.splice(0)) p.close();
    await env.stop();
  });

  async function provider(): Promise<CheatingProvider> {
    const p = await CheatingProvider.connect(env.url, { kinds: ['inference'], images: ['tessera/onnx:1'] });
    open.push(p);
    return p;
  }

  /** Public: asked without an API key. */
  const stats = async (windowMinutes?: number) =>
    (
      await gql<{ marketStats: Stats }>(
        env.url,
        windowMinutes === undefined
          ? `{ marketStats { ${STATS} } }`
          : `query($w: Int!) { marketStats(windowMinutes: $w) { ${STATS} } }`,
        windowMinutes === undefined ? {} : { w: windowMinutes },
      )
    ).marketStats;

  /** Runs every task of `jobId` on `worker`, each spot-checked by `verifier`, until the job completes. */
  async function runJob(jobId: string, tasks: number, worker: CheatingProvider, verifier: CheatingProvider) {
    for (let i = 0; i < tasks; i++) {
      const lease = await worker.nextLease();
      expect(lease.jobId).toBe(jobId);
      await worker.deliver(lease, honestRows(lease));
      const check = await verifier.nextLease();
      await verifier.deliver(check, honestRows(check));
    }
    await eventually(
      async () =>
        (await env.get<JobsService>(JobsService).get({ kind: 'account', accountId: work.accountId }, jobId))
          .state === 'COMPLETED',
    );
  }

  it('is empty before any work is done, over the last hour by default', async () => {
    const empty = await stats();
    expect(empty).toMatchObject({ windowMinutes: 60, currency: 'TSR', kinds: [] });
    expect(Date.now() - Date.parse(empty.since)).toBeGreaterThanOrEqual(60 * 60_000 - 5_000);
  });

  it('counts accepted work, its rows and run time, and the median and last price per row charged', async () => {
    const [worker, verifier] = [await provider(), await provider()];
    // 3 TSR over 8 rows (0.375 a row), then 1 TSR over 4 rows (0.25 a row).
    const first = await work.job({ rows: [4, 4], estimatedCost: 3 });
    await runJob(first, 2, worker, verifier);
    const second = await work.job({ rows: [4], estimatedCost: 1 });
    await runJob(second, 1, worker, verifier);
    // Only work tasks count, not the spot-checks that re-ran them; each ran 30 s.
    await db.query(
      `UPDATE attempt a SET started_at = a.finished_at - interval '30 seconds'
         FROM task t WHERE t.current_attempt_id = a.id AND t.job_id = ANY($1::uuid[])`,
      [[first, second]],
    );

    const { kinds } = await stats(60);
    expect(kinds).toEqual([
      {
        kind: 'inference',
        itemUnit: 'rows',
        tasksCompleted: 3,
        itemsDone: 12,
        averageTaskSeconds: 30,
        busySeconds: expect.any(Number),
        pricedTasks: 3,
        volume: '4',
        medianPricePerItem: 0.375,
        lastPricePerItem: 0.25,
      },
    ]);
    // From the first task's start (30 s before its result) to the last result, seconds later.
    expect(kinds[0].busySeconds).toBeGreaterThanOrEqual(30);
    expect(kinds[0].busySeconds).toBeLessThan(90);
  });

  it('leaves out work accepted before the window', async () => {
    const before = (await stats(60)).kinds[0];
    // The newest task moves back two hours: out of the last hour, inside the last three.
    await db.query(
      `UPDATE task SET finished_at = now() - interval '2 hours'
        WHERE id = (SELECT id FROM task WHERE role = 'work' AND state = 'ACCEPTED' ORDER BY finished_at DESC LIMIT 1)`,
    );
    const hour = (await stats(60)).kinds[0];
    expect(hour).toMatchObject({
      tasksCompleted: before.tasksCompleted - 1,
      itemsDone: before.itemsDone - 4,
      pricedTasks: 2,
      volume: '3',
      medianPricePerItem: 0.375,
      lastPricePerItem: 0.375,
    });
    expect((await stats(180)).kinds[0]).toMatchObject({ tasksCompleted: 3, volume: '4' });
  });

  it('refuses a window outside 5 minutes to a day, naming the argument', async () => {
    for (const w of [4, 1441]) {
      const result = await gqlRaw(
        env.url,
        `query($w: Int!) { marketStats(windowMinutes: $w) { windowMinutes } }`,
        {
          w,
        },
      );
      expect(result.errors?.[0]).toMatchObject({
        message: `BAD_INPUT: windowMinutes must be a whole number of minutes from 5 to 1440 (a day), got ${w}`,
        extensions: { code: 'BAD_INPUT', field: 'windowMinutes' },
      });
    }
  });
});
