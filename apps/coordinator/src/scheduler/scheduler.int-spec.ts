import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@tessera/crypto';
import { Ed25519Keypair } from '@tessera/crypto';
import { testCapabilities } from '@tessera/testing';
import type { Capabilities } from '@tessera/protocol';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { AccountsService } from '../accounts/accounts.service';
import { Actor, ANONYMOUS } from '../auth/actor';
import { BlobsRepository } from '../blobs/blobs.repository';
import { JobState } from '../jobs/job-state';
import { JobEntity } from '../jobs/job.entity';
import { JobsRepository } from '../jobs/jobs.repository';
import { JobsService } from '../jobs/jobs.service';
import { toAttemptDto } from '../jobs/jobs.mapper';
import { ProvidersService } from '../providers/providers.service';
import { LeaseSweeperService } from './lease-sweeper.service';
import { GatewayError } from './gateway-error';
import { SchedulerService } from './scheduler.service';

describe('SchedulerService on PostgreSQL', () => {
  let env: TestCoordinator;
  let sut: SchedulerService;
  let jobs: JobsService;
  let db: DataSource;
  let customer: Actor;

  beforeAll(async () => {
    env = await startTestCoordinator({
      // Several connections, so concurrent claims really run in parallel transactions.
      DATABASE_POOL_SIZE: '4',
      TESSERA_ALLOWED_IMAGES: 'tessera/toolbox:1,tessera/other:1',
      TESSERA_TASK_MAX_ATTEMPTS: '2',
      // Scheduling on its own; spot-checks of these completions are verification.int-spec's.
      TESSERA_SPOT_CHECKS: 'off',
    });
    sut = env.get(SchedulerService);
    jobs = env.get(JobsService);
    db = env.get(getDataSourceToken());
    const { account } = await env
      .get<AccountsService>(AccountsService)
      .createAccount(ANONYMOUS, 'scheduler-test');
    customer = { kind: 'account', accountId: account.id };
  });
  afterAll(() => env.stop());

  async function provider(
    capabilities: Capabilities = testCapabilities(),
  ): Promise<{ id: string; capabilities: Capabilities }> {
    const p = await env
      .get<ProvidersService>(ProvidersService)
      .connected(Ed25519Keypair.generate().address, null, capabilities, 'test');
    return { id: p.id, capabilities };
  }

  function submit(params: Record<string, unknown>) {
    return jobs.submit(customer, 'container', { image: 'tessera/toolbox:1', command: ['true'], ...params });
  }

  async function drainQueue(): Promise<void> {
    await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
  }

  async function output(): Promise<{ path: string; sha256: string; size: number }> {
    const bytes = randomBytes(32);
    const sha256 = sha256Hex(bytes);
    await env.get<BlobsRepository>(BlobsRepository).recordUpload(sha256, bytes.length);
    return { path: 'result.bin', sha256, size: bytes.length };
  }

  const now = () => new Date().toISOString();

  it('leases each task exactly once to concurrent claimers', async () => {
    await drainQueue();
    const job = await submit({ tasks: 120 });
    const claimers = await Promise.all([1, 2, 3, 4].map(() => provider()));
    const leased: string[] = [];
    await Promise.all(
      claimers.map(async (p) => {
        for (;;) {
          const lease = await sut.claim(p.id, p.capabilities);
          if (!lease) return;
          leased.push(lease.taskId);
        }
      }),
    );
    expect(leased).toHaveLength(120);
    expect(new Set(leased).size).toBe(120);
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM attempt WHERE job_id = $1`, [
      job.id,
    ]);
    expect(count).toBe(120);
    expect((await jobs.get(customer, job.id)).state).toBe(JobState.RUNNING);
  });

  it('offers tasks on an image the provider has cached first', async () => {
    await drainQueue();
    await submit({ image: 'tessera/other:1' });
    const cachedJob = await submit({ image: 'tessera/toolbox:1' });
    const p = await provider(testCapabilities({ images: ['tessera/toolbox:1'] }));
    expect((await sut.claim(p.id, p.capabilities))?.jobId).toBe(cachedJob.id);
  });

  it('offers a provider holding a blob the tasks keyed on it first, and one without it the oldest task', async () => {
    await drainQueue();
    const model = sha256Hex('model X');
    const older = await submit({});
    await submit({ image: 'tessera/other:1' });
    // The newest job's task names model X as its cache key, as an inference job's plan does (the
    // container kind names none): stored through the repository jobs are created with.
    const repository = env.get<JobsRepository>(JobsRepository);
    const [plain] = await repository.tasksOf(older.id);
    const keyed = await repository.create({
      accountId: ((await repository.findById(older.id)) as JobEntity).accountId,
      kind: 'container',
      name: 'keyed',
      params: {},
      priority: 0,
      maxAttempts: 2,
      tasks: [
        {
          index: 0,
          params: plain.params,
          image: plain.image,
          requirements: { cpus: plain.reqCpus, memoryBytes: plain.reqMemoryBytes, gpus: 0, vramBytes: 0 },
          timeoutSec: plain.timeoutSec,
          inputs: [],
          items: 1,
          cacheKey: model,
        },
      ],
    });

    const holder = await provider(testCapabilities({ images: ['tessera/other:1'] }));
    expect((await sut.claim(holder.id, holder.capabilities, [sha256Hex('model Y'), model]))?.jobId).toBe(
      keyed.id,
    );

    const stranger = await provider(testCapabilities({ images: [] }));
    expect((await sut.claim(stranger.id, stranger.capabilities, [sha256Hex('model Y')]))?.jobId).toBe(
      older.id,
    );
  });

  it('claims from a deep queue by reading a handful of rows, even with statistics that say it is empty', async () => {
    await drainQueue();
    await db.query('ANALYZE task'); // the planner now believes nothing is queued
    await submit({ tasks: 5000 });
    // No task on a cached blob or image: all three branches run.
    const p = await provider(testCapabilities({ images: ['tessera/other:1'] }));
    // A fresh connection: its pg_stat_xact counters hold only this claim (PostgreSQL 15 keeps a
    // backend's unflushed counts from earlier transactions there too), and no plan is cached yet.
    const client = new Client({ connectionString: env.db.url });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (n) => plans.push(String(n.message)));
    await client.query('BEGIN');
    try {
      // Plans of the statements inside the function, for the failure message.
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
                          SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice; SET client_min_messages = notice`);
      const { rows } = await client.query(
        `SELECT * FROM tessera_claim_task($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          p.id,
          'an-owner',
          false,
          ['container'],
          2,
          8 * 2 ** 30,
          0,
          0,
          ['tessera/other:1'],
          [sha256Hex('no task')],
          3,
          30_000,
        ],
      );
      expect(rows[0].task_index).toBe(0);
      // This transaction's own scan counters: rows and index entries the claim touched in `task`.
      const { rows: counters } = await client.query(
        `SELECT (SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'task') AS rows,
                (SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index WHERE indrelid = 'task'::regclass) AS entries`,
      );
      const read = { rows: Number(counters[0].rows), entries: Number(counters[0].entries) };
      const expected = { rows: read.rows < 20, entries: read.entries < 20 };
      expect({ read, ...expected, plans: expected.rows && expected.entries ? [] : plans }).toMatchObject({
        rows: true,
        entries: true,
        plans: [],
      });
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }
  });

  it('leases only tasks that fit the machine', async () => {
    await drainQueue();
    await submit({ memoryMb: 64 * 1024 });
    await submit({ gpus: 1 });
    const small = await provider(testCapabilities({ memoryBytes: 8 * 2 ** 30 }));
    expect(await sut.claim(small.id, small.capabilities)).toBeUndefined();
    const gpuBox = await provider(
      testCapabilities({
        memoryBytes: 128 * 2 ** 30,
        gpus: [
          {
            index: 0,
            name: 'NVIDIA H100',
            vramBytes: 80 * 2 ** 30,
            driverVersion: '550',
            computeCapability: '9.0',
          },
        ],
      }),
    );
    const first = await sut.claim(gpuBox.id, gpuBox.capabilities);
    const second = await sut.claim(gpuBox.id, gpuBox.capabilities);
    expect([first?.container.gpus, second?.container.gpus].sort()).toEqual([0, 1]);
  });

  it('accepts one success per task and refuses results for leases that are gone', async () => {
    await drainQueue();
    const job = await submit({});
    const p = await provider();
    const lease = await sut.claim(p.id, p.capabilities);
    if (!lease) throw new Error('no lease');
    const out = await output();
    const done = {
      type: 'task.completed' as const,
      id: 'x',
      attemptId: lease.attemptId,
      outputs: [out],
      startedAt: now(),
      finishedAt: now(),
    };
    await sut.complete(p.id, done);
    await sut.complete(p.id, done); // a retried report after a reconnect is acknowledged again
    const finished = await jobs.get(customer, job.id);
    expect(finished.state).toBe(JobState.COMPLETED);
    expect(finished.tasksDone).toBe(1);
    expect(finished.outputs).toEqual([out]);
    const other = await provider();
    await expect(sut.complete(other.id, done)).rejects.toMatchObject({ code: 'NOT_LEASED' });
    await expect(
      sut.fail(p.id, {
        type: 'task.failed',
        id: 'y',
        attemptId: lease.attemptId,
        code: 'EXIT_NONZERO',
        message: 'late',
        exitCode: 1,
      }),
    ).resolves.toBeUndefined();
    expect((await jobs.get(customer, job.id)).state).toBe(JobState.COMPLETED);
  });

  it('refuses a completion whose outputs were never uploaded', async () => {
    await drainQueue();
    await submit({});
    const p = await provider();
    const lease = await sut.claim(p.id, p.capabilities);
    if (!lease) throw new Error('no lease');
    const ghost = { path: 'ghost.bin', sha256: sha256Hex('never uploaded'), size: 14 };
    const error = await sut
      .complete(p.id, {
        type: 'task.completed',
        id: 'x',
        attemptId: lease.attemptId,
        outputs: [ghost],
        startedAt: now(),
        finishedAt: now(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('OUTPUT_MISSING');
    const [attempt] = await db.query(`SELECT state FROM attempt WHERE id = $1`, [lease.attemptId]);
    expect(attempt.state).toBe('LEASED');
  });

  it('re-queues the task when the lease expires, and fails the job after the attempt limit', async () => {
    await drainQueue();
    const job = await submit({});
    const sweeper = env.get<LeaseSweeperService>(LeaseSweeperService);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const p = await provider();
      const lease = await sut.claim(p.id, p.capabilities);
      expect(lease?.jobId).toBe(job.id);
      await db.query(`UPDATE attempt SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [
        lease?.attemptId,
      ]);
      expect(await sweeper.sweep()).toBe(1);
      const [task] = await db.query(`SELECT state FROM task WHERE job_id = $1`, [job.id]);
      expect(task.state).toBe(attempt < 2 ? 'QUEUED' : 'FAILED');
    }
    const failed = await jobs.get(customer, job.id);
    expect(failed.state).toBe(JobState.FAILED);
    expect(failed.errorMessage).toMatch(/failed 2 times; last: LEASE_EXPIRED/);
  });

  it('takes a task back from an agent that gives it up, without spending its attempts or blaming the agent', async () => {
    await drainQueue();
    const job = await submit({});
    const p = await provider();
    for (let i = 0; i < 3; i++) {
      const lease = await sut.claim(p.id, p.capabilities);
      expect(lease?.jobId).toBe(job.id);
      await sut.release(p.id, lease?.attemptId as string, 'agent shutting down');
    }
    const [task] = await db.query(`SELECT state, attempts FROM task WHERE job_id = $1`, [job.id]);
    expect(task).toEqual({ state: 'QUEUED', attempts: 0 });
    const attempts = await db.query(`SELECT number, state FROM attempt WHERE job_id = $1 ORDER BY number`, [
      job.id,
    ]);
    expect(attempts).toEqual([1, 2, 3].map((number) => ({ number, state: 'CANCELLED' })));
    const [blame] = await db.query(`SELECT count(*)::int AS n FROM job_provider_failure WHERE job_id = $1`, [
      job.id,
    ]);
    expect(blame.n).toBe(0);
  });

  it('stops offering a job to a provider that failed it 3 times', async () => {
    await drainQueue();
    await db.query(`UPDATE task SET max_attempts = 10 WHERE state = 'QUEUED'`);
    const job = await submit({});
    await db.query(`UPDATE task SET max_attempts = 10 WHERE job_id = $1`, [job.id]);
    const flaky = await provider();
    for (let i = 0; i < 3; i++) {
      const lease = await sut.claim(flaky.id, flaky.capabilities);
      expect(lease?.jobId).toBe(job.id);
      await sut.fail(flaky.id, {
        type: 'task.failed',
        id: 'f',
        attemptId: lease?.attemptId as string,
        code: 'EXIT_NONZERO',
        message: 'boom',
        exitCode: 2,
      });
    }
    expect(await sut.claim(flaky.id, flaky.capabilities)).toBeUndefined();
    const healthy = await provider();
    expect((await sut.claim(healthy.id, healthy.capabilities))?.jobId).toBe(job.id);
  });

  describe('commitments', () => {
    /** A queued inference shard of `rows` rows, stored as the inference kind plans it. */
    async function inferenceJob(rows: number): Promise<string> {
      const job = await env.get<JobsRepository>(JobsRepository).create({
        accountId: (customer as { accountId: string }).accountId,
        kind: 'inference',
        name: 'commitments',
        params: {},
        priority: 0,
        maxAttempts: 2,
        tasks: [
          {
            index: 0,
            params: {
              firstRow: 0,
              rows,
              batchSize: 1,
              device: 'CPU',
              inputs: [],
              outputs: [],
              preprocess: null,
              postprocess: null,
            },
            image: 'tessera/onnx:1',
            requirements: { cpus: 1, memoryBytes: 2 ** 28, gpus: 0, vramBytes: 0 },
            timeoutSec: 120,
            inputs: [],
            items: rows,
          },
        ],
      });
      return job.id;
    }

    async function completion(
      rows: number,
      commitment?: { root: string; items: number },
      withOutputs = true,
    ) {
      await drainQueue();
      const jobId = await inferenceJob(rows);
      const p = await provider(testCapabilities({ kinds: ['inference'] }));
      const lease = await sut.claim(p.id, p.capabilities);
      expect(lease?.jobId).toBe(jobId);
      const out = { ...(await output()), path: 'outputs.jsonl' };
      const message = {
        type: 'task.completed' as const,
        id: 'c',
        attemptId: lease?.attemptId as string,
        outputs: withOutputs ? [out] : [],
        startedAt: now(),
        finishedAt: now(),
        ...(commitment ? { commitment } : {}),
      };
      return { p, jobId, attemptId: message.attemptId, complete: () => sut.complete(p.id, message) };
    }

    const ROOT = sha256Hex('a Merkle root');

    it('stores the commitment of a completed inference shard on its attempt', async () => {
      const { jobId, attemptId, complete } = await completion(3, { root: ROOT, items: 3 });
      await complete();
      await complete(); // a repeated report changes nothing
      const [attempt] = await env
        .get<JobsRepository>(JobsRepository)
        .attemptsOf((await env.get<JobsRepository>(JobsRepository).tasksOf(jobId)).map((t) => t.id));
      expect(attempt).toMatchObject({
        id: attemptId,
        state: 'SUCCEEDED',
        commitmentRoot: ROOT,
        commitmentItems: 3,
      });
      expect(toAttemptDto(attempt).commitment).toEqual({ root: ROOT, items: 3 });
      expect((await jobs.get(customer, jobId)).state).toBe(JobState.COMPLETED);
    });

    it('refuses a commitment that does not cover every row with OUTPUT_INVALID, failing the attempt', async () => {
      const { jobId, attemptId, complete } = await completion(3, { root: ROOT, items: 2 });
      const error = await complete().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({
        code: 'OUTPUT_INVALID',
        message:
          'the commitment covers 2 items but this inference task has 3; the attempt failed and the task will be retried',
      });
      const [attempt] = await db.query(
        `SELECT state, failure_code, commitment_root FROM attempt WHERE id = $1`,
        [attemptId],
      );
      expect(attempt).toEqual({ state: 'FAILED', failure_code: 'OUTPUT_INVALID', commitment_root: null });
      const [task] = await db.query(`SELECT state FROM task WHERE job_id = $1`, [jobId]);
      expect(task.state).toBe('QUEUED');
    });

    it('refuses "done" with no outputs and no commitment (completing without running anything)', async () => {
      const { jobId, attemptId, complete } = await completion(2, undefined, false);
      const error = await complete().catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'OUTPUT_INVALID',
        message: expect.stringMatching(/outputs.jsonl is missing/),
      });
      const [attempt] = await db.query(`SELECT state FROM attempt WHERE id = $1`, [attemptId]);
      expect(attempt.state).toBe('FAILED');
      expect((await jobs.get(customer, jobId)).state).not.toBe(JobState.COMPLETED);
    });

    it('refuses an inference result without a commitment (protocol 2 requires one), failing the attempt', async () => {
      const { jobId, attemptId, complete } = await completion(2);
      const error = await complete().catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'OUTPUT_INVALID',
        message: expect.stringMatching(/needs a commitment to its items/),
      });
      const [attempt] = await db.query(`SELECT state, commitment_root FROM attempt WHERE id = $1`, [
        attemptId,
      ]);
      expect(attempt).toEqual({ state: 'FAILED', commitment_root: null });
      expect((await jobs.get(customer, jobId)).state).not.toBe(JobState.COMPLETED);
    });
  });

  it('renews only the leases the provider holds and revokes the rest', async () => {
    await drainQueue();
    await submit({});
    const p = await provider();
    const lease = await sut.claim(p.id, p.capabilities);
    const stranger = '00000000-0000-4000-8000-000000000000';
    const result = await sut.heartbeat(p.id, [lease?.attemptId as string, stranger]);
    expect(result.renewed.map((r) => r.attemptId)).toEqual([lease?.attemptId]);
    expect(result.revoked.map((r) => r.attemptId)).toEqual([stranger]);
    const other = await provider();
    expect((await sut.heartbeat(other.id, [lease?.attemptId as string])).revoked).toHaveLength(1);
  });
});
