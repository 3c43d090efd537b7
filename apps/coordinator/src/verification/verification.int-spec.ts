import { createHash } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Ed25519Keypair, merkleProof, merkleRoot } from '@tessera/crypto';
import type { CoordinatorMessage, Lease, ProofRequestMessage } from '@tessera/protocol';
import {
  eventually,
  gql,
  subscriptionClient,
  SubscriptionRecorder,
  testCapabilities,
  TestAgent,
} from '@tessera/testing';
import { canonicalJson } from '@tessera/workloads';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { AccountsService } from '../accounts/accounts.service';
import { ANONYMOUS } from '../auth/actor';
import { BlobsService } from '../blobs/blobs.service';
import { ProviderGateway } from '../gateway/provider-gateway';
import { JobsRepository } from '../jobs/jobs.repository';
import { VerificationSweeperService } from './verification-sweeper.service';

// Medium test: spot-checks through the real coordinator (PostgreSQL, the WebSocket gateway, the
// scheduler's claims) with providers that speak the wire protocol frame by frame, honest or not.
// Inference shards keep it fast: the rows are written by the test, the comparator (compareRow) is
// the real one, and so are the Merkle proofs.

const ROWS = 8;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** The honest outputs.jsonl of a shard: one line per row. */
function honestLines(firstRow = 0, rows = ROWS): string[] {
  return Array.from({ length: rows }, (_, i) => {
    const row = firstRow + i;
    return JSON.stringify({
      row,
      id: `line-${row}`,
      outputs: { text: `TEXT ${row}`, confidence: 0.5 + row / 100 },
    });
  });
}

describe('spot-check verification through the coordinator', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let accountId: string;
  let apiKey: string;
  const trusted = Ed25519Keypair.generate();
  const open: Provider[] = [];

  beforeAll(async () => {
    env = await startTestCoordinator({
      TESSERA_HEARTBEAT_SEC: '1',
      TESSERA_LEASE_TTL_SEC: '10',
      TESSERA_PROOF_TIMEOUT_SEC: '5',
      TESSERA_TRUSTED_VERIFIERS: trusted.address,
      TESSERA_BAN_AFTER_FAILURES: '3',
    });
    db = env.get(getDataSourceToken());
    // A claim with nothing to lease answers after 1 s instead of holding on for 20.
    (env.get(ProviderGateway) as unknown as { claimWaitMs: number }).claimWaitMs = 1000;
    const created = await env.get<AccountsService>(AccountsService).createAccount(ANONYMOUS, 'verification');
    accountId = created.account.id;
    apiKey = created.apiKey;
  });
  afterEach(async () => {
    for (const p of open.splice(0)) p.agent.close();
    // Nobody online between tests: eligibility for the trusted pool depends on who is.
    await eventually(
      async () => (await db.query(`SELECT 1 FROM provider WHERE connected_at IS NOT NULL`)).length === 0,
    );
    await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
  });
  afterAll(() => env.stop());

  /** A provider speaking the protocol; `rows` decides what it returns for a shard. */
  class Provider {
    /** Item hashes of each completed attempt, for proofs. */
    readonly committed = new Map<string, string[]>();
    constructor(
      readonly agent: TestAgent,
      readonly keypair: Ed25519Keypair,
    ) {}

    static async connect(opts: { keypair?: Ed25519Keypair; owner?: string } = {}): Promise<Provider> {
      const keypair = opts.keypair ?? Ed25519Keypair.generate();
      const agent = await TestAgent.open(env.url, keypair);
      const reply = await agent.request({
        type: 'auth',
        protocol: 2,
        address: keypair.address,
        signature: agent.signatureFor(agent.challenge?.nonce as string),
        nonce: agent.challenge?.nonce,
        ...(opts.owner ? { owner: opts.owner } : {}),
        agent: { version: 'test', name: 'verification-test' },
        capabilities: testCapabilities({ kinds: ['inference'], images: ['tessera/onnx:1'] }),
      });
      if (reply.type !== 'welcome') throw new Error(`auth refused: ${JSON.stringify(reply)}`);
      agent.welcome = reply;
      const p = new Provider(agent, keypair);
      open.push(p);
      return p;
    }

    get providerId(): string {
      return this.agent.welcome?.providerId as string;
    }

    async claim(): Promise<Lease | undefined> {
      const reply = await this.agent.request({ type: 'claim' }, 30_000);
      return reply.type === 'lease' ? reply.lease : undefined;
    }

    /** Stores outputs.jsonl and completes the attempt with a commitment over `lines` (or `root`). */
    async complete(lease: Lease, lines: string[], opts: { root?: string } = {}): Promise<CoordinatorMessage> {
      const data = Buffer.from(`${lines.join('\n')}\n`);
      const blob = await env.get<BlobsService>(BlobsService).storeForAccount(accountId, data);
      const items = lines.map((l) => sha(canonicalJson(JSON.parse(l))));
      this.committed.set(lease.attemptId, items);
      const root = opts.root ?? merkleRoot(items.map((h) => Buffer.from(h, 'hex'))).toString('hex');
      return this.agent.request({
        type: 'task.completed',
        attemptId: lease.attemptId,
        outputs: [{ path: 'outputs.jsonl', sha256: blob.sha256, size: blob.size }],
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
        commitment: { root, items: items.length },
      });
    }

    proofRequest(attemptId: string): Promise<ProofRequestMessage> {
      // It may already be here: pending requests are pushed right after `welcome`.
      const seen = this.agent.received.find((m) => m.type === 'proof.request' && m.attemptId === attemptId);
      if (seen) return Promise.resolve(seen as ProofRequestMessage);
      return this.agent.next(
        (m) => m.type === 'proof.request' && m.attemptId === attemptId,
        10_000,
      ) as Promise<ProofRequestMessage>;
    }

    /** Answers a proof request from what it committed to (or with nothing). */
    async prove(request: ProofRequestMessage, opts: { empty?: boolean } = {}): Promise<CoordinatorMessage> {
      const items = this.committed.get(request.attemptId) as string[];
      const leaves = items.map((h) => Buffer.from(h, 'hex'));
      const proofs = opts.empty
        ? []
        : request.items.map((item) => ({
            item,
            sha256: items[item],
            path: merkleProof(leaves, item).map((b) => b.toString('hex')),
          }));
      return this.agent.request({ type: 'task.proof', attemptId: request.attemptId, proofs });
    }

    /** Claims, completes with `lines`, and proves: the whole life of an attempt that gets checked. */
    async work(lines: (lease: Lease) => string[]): Promise<Lease> {
      const lease = (await this.claim()) as Lease;
      expect(lease).toBeDefined();
      const request = this.proofRequest(lease.attemptId);
      expect(await this.complete(lease, lines(lease))).toMatchObject({ type: 'ok' });
      expect(await this.prove(await request)).toMatchObject({ type: 'ok' });
      return lease;
    }

    /** Claims a spot-check and returns the rows it re-runs as an honest worker would. */
    async verify(lines: (rows: number[]) => string[] = honestCheckLines): Promise<Lease> {
      const lease = (await this.claim()) as Lease;
      expect(lease?.task.params.check).toBeDefined();
      const rows = (lease.task.params.check as { rows: number[] }).rows;
      expect(await this.complete(lease, lines(rows))).toMatchObject({ type: 'ok' });
      return lease;
    }
  }

  /** A verifier's honest outputs: the sampled rows, numbered from 0 as the worker numbers them. */
  function honestCheckLines(rows: number[]): string[] {
    return rows.map((row, j) => {
      const line = JSON.parse(honestLines(row, 1)[0]) as Record<string, unknown>;
      return JSON.stringify({ ...line, row: j });
    });
  }

  /** A queued inference job of one shard, with its rows and model as real blobs. */
  async function shardJob(): Promise<string> {
    const blobs = env.get<BlobsService>(BlobsService);
    const rowsBlob = await blobs.storeForAccount(
      accountId,
      Buffer.from(
        honestLines()
          .map((_, i) => JSON.stringify({ id: `line-${i}`, inputs: { x: [[i]] } }))
          .join('\n') + '\n',
      ),
    );
    const model = await blobs.storeForAccount(accountId, Buffer.from(`model ${Math.random()}`));
    const job = await env.get<JobsRepository>(JobsRepository).create({
      accountId,
      kind: 'inference',
      name: 'spot-check',
      params: {},
      priority: 0,
      maxAttempts: 3,
      tasks: [
        {
          index: 0,
          params: {
            firstRow: 0,
            rows: ROWS,
            batchSize: 1,
            device: 'CPU',
            inputs: [{ name: 'x', type: 'float32', dims: [-1, 1] }],
            outputs: [{ name: 'y', type: 'float32', dims: [-1, 1] }],
            preprocess: null,
            postprocess: null,
          },
          image: 'tessera/onnx:1',
          requirements: { cpus: 1, memoryBytes: 2 ** 28, gpus: 0, vramBytes: 0 },
          timeoutSec: 120,
          inputs: [
            { sha256: model.sha256, size: model.size, path: 'model.onnx' },
            { sha256: rowsBlob.sha256, size: rowsBlob.size, path: 'rows.jsonl' },
          ],
          items: ROWS,
        },
      ],
    });
    return job.id;
  }

  async function taskOf(jobId: string): Promise<{ state: string; attempts: number }> {
    const [task] = await db.query(`SELECT state, attempts FROM task WHERE job_id = $1 AND role = 'work'`, [
      jobId,
    ]);
    return task;
  }

  async function verificationsOf(
    jobId: string,
  ): Promise<{ state: string; reason: string | null; rounds: unknown[] }[]> {
    return db.query(`SELECT state, reason, rounds FROM verification WHERE job_id = $1 ORDER BY created_at`, [
      jobId,
    ]);
  }

  async function record(p: Provider): Promise<{ passed: number; failed: number; banned: boolean }> {
    const [r] = await db.query(
      `SELECT checks_passed AS passed, checks_failed AS failed, banned_at IS NOT NULL AS banned FROM provider WHERE id = $1`,
      [p.providerId],
    );
    return r;
  }

  it('checks a new provider’s result on another provider and accepts it when the samples match', async () => {
    const jobId = await shardJob();
    const client = subscriptionClient(env.url, apiKey);
    const events = new SubscriptionRecorder<{
      jobEvents: {
        job: { state: string };
        task: { state: string; verifications: { state: string }[] } | null;
      };
    }>(
      client,
      `subscription($id: ID!) { jobEvents(jobId: $id) { job { state } task { state verifications { state } } } }`,
      { id: jobId },
    );
    const [worker, verifier] = [await Provider.connect(), await Provider.connect()];
    const lease = (await worker.claim()) as Lease;
    const request = worker.proofRequest(lease.attemptId);
    await worker.complete(lease, honestLines());
    // Checked, so not accepted yet: the customer sees it VERIFYING and cannot use it.
    expect(await taskOf(jobId)).toMatchObject({ state: 'VERIFYING' });
    const asked = await request;
    expect(asked.items.length).toBe(6);
    expect(new Set(asked.items).size).toBe(6);
    await worker.prove(asked);
    // The provider whose work it is never gets its own check.
    expect((await worker.agent.request({ type: 'claim' }, 30_000)).type).toBe('no-work');
    const check = await verifier.verify();
    expect(check.task.params).toMatchObject({ firstRow: 0, rows: 6, check: { rows: asked.items } });
    await eventually(async () => (await taskOf(jobId)).state === 'ACCEPTED');
    // Subscribers hear that the job completed (the CLI waits for that event), and each task event
    // carries the task's checks as they are then (the CLI says "spot-checking" from them).
    await events.waitFor((e) => e.jobEvents.job.state === 'COMPLETED');
    await events.waitFor(
      (e) => e.jobEvents.task?.state === 'VERIFYING' && e.jobEvents.task.verifications.length === 1,
    );
    await events.waitFor((e) => e.jobEvents.task?.verifications.at(-1)?.state === 'PASSED');
    await client.dispose();
    const [v] = await verificationsOf(jobId);
    expect(v).toMatchObject({ state: 'PASSED', reason: expect.stringMatching(/all 6 samples match/) });
    expect(await record(worker)).toEqual({ passed: 1, failed: 0, banned: false });
    // The customer's view: the check, its round and the job's tally.
    const view = await gql<{
      job: {
        state: string;
        checks: { total: number; passed: number };
        tasks: {
          verifications: { state: string; rounds: { verdict: string; verifierProviderId: string }[] }[];
        }[];
      };
    }>(
      env.url,
      `query($id: ID!) { job(id: $id) { state checks { total passed } tasks { verifications { state rounds { verdict verifierProviderId } } } } }`,
      { id: jobId },
      apiKey,
    );
    expect(view.job).toEqual({
      state: 'COMPLETED',
      checks: { total: 1, passed: 1 },
      tasks: [
        {
          verifications: [
            { state: 'PASSED', rounds: [{ verdict: 'accept', verifierProviderId: verifier.providerId }] },
          ],
        },
      ],
    });
    const provider = await gql<{
      provider: { record: { checksPassed: number; reputation: number; checkRate: number } };
    }>(env.url, `query($id: ID!) { provider(id: $id) { record { checksPassed reputation checkRate } } }`, {
      id: worker.keypair.address,
    });
    expect(provider.provider.record).toEqual({ checksPassed: 1, reputation: 2 / 3, checkRate: 1 });
  });

  it('rejects a cheater once a second verifier confirms, re-queues the task for someone else and keeps the cheater off the job', async () => {
    const jobId = await shardJob();
    const [cheater, v1, v2] = [await Provider.connect(), await Provider.connect(), await Provider.connect()];
    // Half the rows blank: the kind of partial cheat the sample must find.
    await cheater.work(() =>
      honestLines().map((l, i) =>
        i % 2 ? JSON.stringify({ ...JSON.parse(l), outputs: { text: '', confidence: 0 } }) : l,
      ),
    );
    const first = await v1.verify();
    // A first reject is only a suspicion: the same samples go to a verifier of yet another owner.
    const confirm = await v2.verify();
    expect(confirm.task.params.check).toEqual(first.task.params.check);
    await eventually(async () => (await verificationsOf(jobId))[0].state === 'FAILED');
    const [v] = await verificationsOf(jobId);
    expect(v.reason).toMatch(/2 verifiers agree: row-\d+: row \d+ output "text"/);
    expect(await record(cheater)).toEqual({ passed: 0, failed: 1, banned: false });
    const [attempt] = await db.query(`SELECT state, failure_code FROM attempt WHERE provider_id = $1`, [
      cheater.providerId,
    ]);
    expect(attempt).toEqual({ state: 'REJECTED', failure_code: 'CHECK_FAILED' });
    // Back in the queue with its attempt refunded, never again for the cheater.
    expect(await taskOf(jobId)).toEqual({ state: 'QUEUED', attempts: 0 });
    expect((await cheater.agent.request({ type: 'claim' }, 30_000)).type).toBe('no-work');
    const redo = await v1.work(() => honestLines());
    expect(redo.jobId).toBe(jobId);
  });

  it('fails the check when the commitment does not match the uploaded items (ROOT_MISMATCH)', async () => {
    const jobId = await shardJob();
    const cheater = await Provider.connect();
    const lease = (await cheater.claim()) as Lease;
    const request = cheater.proofRequest(lease.attemptId);
    // It commits to a root over other items than the ones it uploads.
    const other = honestLines().map((l) => sha(`stale ${l}`));
    await cheater.complete(lease, honestLines(), {
      root: merkleRoot(other.map((h) => Buffer.from(h, 'hex'))).toString('hex'),
    });
    const reply = await cheater.prove(await request);
    expect(reply).toMatchObject({
      type: 'error',
      code: 'OUTPUT_INVALID',
      message: expect.stringMatching(/ROOT_MISMATCH/),
    });
    expect((await verificationsOf(jobId))[0]).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/^ROOT_MISMATCH/),
    });
    expect(await taskOf(jobId)).toMatchObject({ state: 'QUEUED' });
  });

  it('fails the check of a provider that cannot prove its samples, or does not answer in time', async () => {
    const jobId = await shardJob();
    const forgetful = await Provider.connect();
    const lease = (await forgetful.claim()) as Lease;
    const request = forgetful.proofRequest(lease.attemptId);
    await forgetful.complete(lease, honestLines());
    await forgetful.prove(await request, { empty: true });
    expect((await verificationsOf(jobId))[0]).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/^PROOF_MISSING/),
    });

    const silent = await Provider.connect();
    const again = (await silent.claim()) as Lease;
    expect(again.jobId).toBe(jobId);
    await silent.complete(again, honestLines());
    // The sweep (every replica runs one on a timer; here also by hand) fails it past the deadline.
    const sweeper = env.get<VerificationSweeperService>(VerificationSweeperService);
    await eventually(async () => {
      await sweeper.sweep();
      return (await verificationsOf(jobId))[1]?.state === 'FAILED';
    }, 15_000);
    expect((await verificationsOf(jobId))[1]).toMatchObject({
      state: 'FAILED',
      reason: expect.stringMatching(/no proof .* within 5 s/),
    });
  });

  it('asks again for a proof after the provider reconnects', async () => {
    await shardJob();
    const keypair = Ed25519Keypair.generate();
    const first = await Provider.connect({ keypair });
    const lease = (await first.claim()) as Lease;
    const request = first.proofRequest(lease.attemptId);
    await first.complete(lease, honestLines());
    await request;
    first.agent.close();
    const back = await Provider.connect({ keypair });
    back.committed.set(lease.attemptId, first.committed.get(lease.attemptId) as string[]);
    const repeated = await back.proofRequest(lease.attemptId);
    expect(await back.prove(repeated)).toMatchObject({ type: 'ok' });
  });

  it('leaves nothing to a machine of the same owner, and gives a check to the trusted pool when nobody else is online', async () => {
    const jobId = await shardJob();
    const worker = await Provider.connect();
    const sibling = await Provider.connect({ owner: worker.keypair.address });
    const pool = await Provider.connect({ keypair: trusted });
    // The trusted verifier takes no ordinary work.
    const lease = (await worker.claim()) as Lease;
    const request = worker.proofRequest(lease.attemptId);
    await worker.complete(lease, honestLines());
    await worker.prove(await request);
    expect((await sibling.agent.request({ type: 'claim' }, 30_000)).type).toBe('no-work');
    await pool.verify();
    await eventually(async () => (await taskOf(jobId)).state === 'ACCEPTED');
  });

  it('calls a check unresolved when the two verifiers disagree with each other, and re-runs the task without blame', async () => {
    const jobId = await shardJob();
    const [worker, v1, v2] = [await Provider.connect(), await Provider.connect(), await Provider.connect()];
    await worker.work(() => honestLines());
    const wrong = (rows: number[]) =>
      honestCheckLines(rows).map((l) =>
        JSON.stringify({ ...JSON.parse(l), outputs: { text: 'X', confidence: 1 } }),
      );
    await v1.verify(wrong);
    await v2.verify((rows) =>
      honestCheckLines(rows).map((l) =>
        JSON.stringify({ ...JSON.parse(l), outputs: { text: 'Y', confidence: 1 } }),
      ),
    );
    await eventually(async () => (await verificationsOf(jobId))[0].state === 'UNRESOLVED');
    expect((await verificationsOf(jobId))[0].reason).toMatch(/not reproducible/);
    expect(await record(worker)).toEqual({ passed: 0, failed: 0, banned: false });
    expect(await taskOf(jobId)).toMatchObject({ state: 'QUEUED' });
  });

  it('bans a provider after three failed checks and closes its socket', async () => {
    const keypair = Ed25519Keypair.generate();
    const cheater = await Provider.connect({ keypair });
    const [v1, v2] = [await Provider.connect(), await Provider.connect()];
    for (let i = 0; i < 3; i++) {
      await shardJob();
      const lease = (await cheater.claim()) as Lease;
      const request = cheater.proofRequest(lease.attemptId);
      await cheater.complete(
        lease,
        honestLines().map((l) =>
          JSON.stringify({ ...JSON.parse(l), outputs: { text: 'lorem', confidence: 1 } }),
        ),
      );
      await cheater.prove(await request);
      await v1.verify();
      await v2.verify();
      if (i < 2) await eventually(async () => (await record(cheater)).failed === i + 1);
    }
    const closed = await cheater.agent.whenClosed();
    expect(closed.code).toBe(4403);
    expect(await record(cheater)).toEqual({ passed: 0, failed: 3, banned: true });
    const again = await TestAgent.open(env.url, keypair);
    expect(await again.auth({ capabilities: testCapabilities({ kinds: ['inference'] }) })).toMatchObject({
      type: 'error',
      code: 'BANNED',
    });
    again.close();
  });

  it('accepts a task unverified, saying why, when no provider takes its check in time (a fleet of one)', async () => {
    const jobId = await shardJob();
    const alone = await Provider.connect();
    await alone.work(() => honestLines());
    expect(await taskOf(jobId)).toMatchObject({ state: 'VERIFYING' });
    // Nobody else is online; let the check wait past TESSERA_CHECK_WAIT_SEC (900 s by default).
    await db.query(
      `UPDATE task SET queued_at = now() - interval '1 hour' WHERE job_id = $1 AND role = 'check'`,
      [jobId],
    );
    const sweeper = env.get<VerificationSweeperService>(VerificationSweeperService);
    await eventually(async () => {
      await sweeper.sweep();
      return (await taskOf(jobId)).state === 'ACCEPTED';
    });
    expect((await verificationsOf(jobId))[0]).toMatchObject({
      state: 'UNRESOLVED',
      reason: expect.stringMatching(
        /accepted unverified: no eligible provider took its spot-check within 900 s/,
      ),
    });
    expect(await record(alone)).toEqual({ passed: 0, failed: 0, banned: false });
  });

  it('cancels the check with the job', async () => {
    const jobId = await shardJob();
    const worker = await Provider.connect();
    await worker.work(() => honestLines());
    const [check] = await db.query(`SELECT state FROM task WHERE job_id = $1 AND role = 'check'`, [jobId]);
    expect(check.state).toBe('QUEUED');
    await gql(env.url, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, { id: jobId }, apiKey);
    expect((await verificationsOf(jobId))[0].state).toBe('CANCELLED');
    const [after] = await db.query(`SELECT state FROM task WHERE job_id = $1 AND role = 'check'`, [jobId]);
    expect(after.state).toBe('CANCELLED');
  });
});
