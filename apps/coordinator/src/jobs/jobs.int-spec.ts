import { randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { sha256Hex } from '@tessera/crypto';
import type { LeaseMessage } from '@tessera/protocol';
import {
  createAccount,
  eventually,
  gql,
  gqlRaw,
  sleep,
  SubscriptionRecorder,
  subscriptionClient,
  TestAgent,
  uploadBlob,
} from '@tessera/testing';
import type { Client as WsClient } from 'graphql-ws';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';

interface JobEvent {
  jobEvents: {
    job: { id: string; state: string; progress: { tasksDone: number; tasksTotal: number } };
    task: { index: number; state: string } | null;
  };
}

const SUBMIT = `mutation($input: SubmitContainerJobInput!) { submitContainerJob(input: $input) { id state } }`;
const JOB_EVENTS = `subscription($id: ID!) {
  jobEvents(jobId: $id) { job { id state progress { tasksDone tasksTotal } } task { index state } }
}`;

describe('jobs over GraphQL', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let alice: string;
  let bob: string;
  let aliceBlob: string;
  let bobBlob: string;
  const clients: WsClient[] = [];
  const agents: TestAgent[] = [];

  beforeAll(async () => {
    env = await startTestCoordinator({
      TESSERA_MAX_TASKS_PER_JOB: '5',
      TESSERA_MAX_TASK_TIMEOUT_SEC: '1200',
    });
    db = env.get(getDataSourceToken());
    ({ apiKey: alice } = await createAccount(env.url, 'alice'));
    ({ apiKey: bob } = await createAccount(env.url, 'bob'));
    aliceBlob = (await uploadBlob(env.url, randomBytes(64), alice)).body.sha256 as string;
    bobBlob = (await uploadBlob(env.url, randomBytes(64), bob)).body.sha256 as string;
  });
  afterEach(async () => {
    for (const agent of agents.splice(0)) agent.close();
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => env.stop());

  function submit(key: string | undefined, input: Record<string, unknown>) {
    return gqlRaw<{ submitContainerJob: { id: string; state: string } }>(
      env.url,
      SUBMIT,
      { input: { image: 'tessera/toolbox:1', command: ['true'], ...input } },
      key,
    );
  }

  async function submitOk(key: string, input: Record<string, unknown> = {}): Promise<string> {
    const result = await submit(key, input);
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.submitContainerJob.id;
  }

  async function counts(): Promise<{ jobs: number; tasks: number }> {
    const [row] = await db.query(
      `SELECT (SELECT count(*)::int FROM job) AS jobs, (SELECT count(*)::int FROM task) AS tasks`,
    );
    return row;
  }

  function subscribe(key: string): WsClient {
    const client = subscriptionClient(env.url, key);
    clients.push(client);
    return client;
  }

  async function agent(): Promise<TestAgent> {
    const a = await TestAgent.connect(env.url);
    agents.push(a);
    return a;
  }

  async function drainQueue(): Promise<void> {
    await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
  }

  describe('accounts', () => {
    it('returns an API key from createAccount that identifies the account in `me`', async () => {
      const created = await gql<{ createAccount: { apiKey: string; account: { id: string; name: string } } }>(
        env.url,
        `mutation { createAccount(input: { name: "carol" }) { apiKey account { id name } } }`,
      );
      const me = await gql<{ me: { id: string; name: string } }>(
        env.url,
        `query { me { id name } }`,
        {},
        created.createAccount.apiKey,
      );
      expect(me.me).toEqual(created.createAccount.account);
      expect(me.me.name).toBe('carol');
    });

    it('refuses `me` with a key that does not exist', async () => {
      const result = await gqlRaw(env.url, `query { me { id } }`, {}, 'tsk_mistyped-key-000000');
      expect(result.status).toBe(401);
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('submitting', () => {
    it('refuses a submission without an API key with UNAUTHENTICATED and creates no job', async () => {
      const before = await counts();
      const result = await submit(undefined, {});
      expect(result.data).toBeNull();
      expect(result.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.errors?.[0].message).toMatch(/^UNAUTHENTICATED: .*Authorization: Bearer/);
      expect(await counts()).toEqual(before);
    });

    it.each([
      {
        scenario: 'an image off the allow-list',
        input: () => ({ image: 'evil/miner:latest' }),
        code: 'IMAGE_NOT_ALLOWED',
        field: 'image',
        message: /evil\/miner:latest is not on this coordinator's allow-list \(allowed: tessera\/toolbox:1\)/,
      },
      {
        scenario: 'an empty command',
        input: () => ({ command: [] }),
        code: 'BAD_INPUT',
        message: /command/,
      },
      {
        scenario: 'an input blob that was never uploaded',
        input: () => ({ inputs: [{ sha256: sha256Hex('never uploaded'), path: 'data.bin' }] }),
        code: 'INPUT_NOT_FOUND',
        field: 'inputs.0.sha256',
        message: /data\.bin/,
      },
      {
        scenario: 'an input blob from another account',
        input: () => ({
          inputs: [
            { sha256: aliceBlob, path: 'mine.bin' },
            { sha256: bobBlob, path: 'theirs.bin' },
          ],
        }),
        code: 'INPUT_NOT_FOUND',
        field: 'inputs.1.sha256',
        message: /theirs\.bin/,
      },
      {
        scenario: 'two inputs at the same path',
        input: () => ({
          inputs: [
            { sha256: aliceBlob, path: 'data.bin' },
            { sha256: aliceBlob, path: 'data.bin' },
          ],
        }),
        code: 'BAD_INPUT',
        field: 'inputs.1.path',
        message: /input path data\.bin is used twice/,
      },
      {
        scenario: 'an input path that climbs out with ..',
        input: () => ({ inputs: [{ sha256: aliceBlob, path: '../../etc/cron.d/x' }] }),
        code: 'BAD_INPUT',
        field: 'inputs.0.path',
        message: /\.\./,
      },
      {
        scenario: 'more tasks than TESSERA_MAX_TASKS_PER_JOB',
        input: () => ({ tasks: 6 }),
        code: 'TOO_MANY_TASKS',
        field: 'tasks',
        message: /6 tasks exceeds the limit of 5 per job/,
      },
      {
        scenario: 'a timeout over TESSERA_MAX_TASK_TIMEOUT_SEC',
        input: () => ({ timeoutSec: 1201 }),
        code: 'LIMIT_EXCEEDED',
        field: 'timeoutSec',
        message: /timeoutSec 1201 exceeds the limit of 1200 s/,
      },
      {
        scenario: 'a reserved TESSERA_* environment variable',
        input: () => ({ env: [{ name: 'TESSERA_TASK_INDEX', value: '0' }] }),
        code: 'BAD_INPUT',
        field: 'env',
        message: /TESSERA_\* variables are reserved/,
      },
    ])('refuses $scenario with $code and creates no job', async ({ input, code, field, message }) => {
      const before = await counts();

      const result = await submit(alice, input());

      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      const [error] = result.errors ?? [];
      expect(error.extensions?.code).toBe(code);
      expect(error.message.startsWith(`${code}: `)).toBe(true);
      expect(error.message).toMatch(message);
      if (field) expect(error.extensions?.field).toBe(field);
      expect(await counts()).toEqual(before);
    });

    it('refuses an unknown input field, naming it, and creates no job', async () => {
      const before = await counts();
      const result = await submit(alice, { privileged: true });
      expect(result.data).toBeUndefined();
      expect(result.errors?.[0].message).toContain('privileged');
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(await counts()).toEqual(before);
    });

    it('lists the allowed images', async () => {
      expect(await gql(env.url, `query { allowedImages }`)).toEqual({ allowedImages: ['tessera/toolbox:1'] });
    });
  });

  describe('reading and cancelling', () => {
    it('shows a submitted job with one task per run in `job`, `jobs` and the queue depth', async () => {
      const depth = async () =>
        (
          await gql<{ queueDepth: { kind: string; queued: number }[] }>(
            env.url,
            `query { queueDepth { kind queued } }`,
          )
        ).queueDepth.find((d) => d.kind === 'container')?.queued ?? 0;
      const queuedBefore = await depth();

      const id = await submitOk(alice, { tasks: 3, name: 'three' });

      const { job } = await gql<{
        job: {
          id: string;
          name: string;
          state: string;
          progress: { tasksTotal: number };
          tasks: { index: number; state: string; params: Record<string, unknown> }[];
        };
      }>(
        env.url,
        `query($id: ID!) { job(id: $id) { id name state progress { tasksTotal } tasks { index state params } } }`,
        { id },
        alice,
      );
      expect(job).toEqual({
        id,
        name: 'three',
        state: 'QUEUED',
        progress: { tasksTotal: 3 },
        // Each task's own parameters, as its container is told them.
        tasks: [0, 1, 2].map((index) => ({
          index,
          state: 'QUEUED',
          params: expect.objectContaining({ command: ['true'], taskCount: 3 }),
        })),
      });
      const { jobs } = await gql<{ jobs: { id: string }[] }>(
        env.url,
        `query { jobs(limit: 5) { id } }`,
        {},
        alice,
      );
      expect(jobs[0].id).toBe(id);
      expect(await depth()).toBe(queuedBefore + 3);
      const { jobs: bobsJobs } = await gql<{ jobs: { id: string }[] }>(
        env.url,
        `query { jobs { id } }`,
        {},
        bob,
      );
      expect(bobsJobs.map((j) => j.id)).not.toContain(id);
    });

    it('hides a job from another account (JOB_NOT_FOUND) and does not let it cancel the job', async () => {
      const id = await submitOk(alice);

      const read = await gqlRaw(env.url, `query($id: ID!) { job(id: $id) { id } }`, { id }, bob);
      const cancel = await gqlRaw(
        env.url,
        `mutation($id: ID!) { cancelJob(id: $id) { state } }`,
        { id },
        bob,
      );

      expect(read.errors?.[0].extensions?.code).toBe('JOB_NOT_FOUND');
      expect(cancel.errors?.[0].extensions?.code).toBe('JOB_NOT_FOUND');
      const [row] = await db.query(`SELECT state FROM job WHERE id = $1`, [id]);
      expect(row.state).toBe('QUEUED');
    });

    it('cancels a job and its tasks, and refuses to cancel it twice with JOB_ALREADY_FINISHED', async () => {
      const id = await submitOk(alice, { tasks: 2 });

      const first = await gql<{ cancelJob: { state: string; tasks: { state: string }[] } }>(
        env.url,
        `mutation($id: ID!) { cancelJob(id: $id) { state tasks { state } } }`,
        { id },
        alice,
      );
      const second = await gqlRaw(
        env.url,
        `mutation($id: ID!) { cancelJob(id: $id) { state } }`,
        { id },
        alice,
      );

      expect(first.cancelJob).toEqual({
        state: 'CANCELLED',
        tasks: [{ state: 'CANCELLED' }, { state: 'CANCELLED' }],
      });
      expect(second.errors?.[0].extensions?.code).toBe('JOB_ALREADY_FINISHED');
      expect(second.errors?.[0].message).toMatch(/already cancelled/);
    });
  });

  describe('jobEvents subscription', () => {
    it('delivers the current state first, then each step from lease to completion', async () => {
      await drainQueue();
      const id = await submitOk(alice);
      const events = new SubscriptionRecorder<JobEvent>(subscribe(alice), JOB_EVENTS, { id });
      const first = await events.waitFor(() => true);
      expect(first.jobEvents).toEqual({
        job: { id, state: 'QUEUED', progress: { tasksDone: 0, tasksTotal: 1 } },
        task: null,
      });
      const taskIn = (state: string) => (e: JobEvent) => e.jobEvents.task?.state === state;
      const provider = await agent();

      const lease = (await provider.request({ type: 'claim' })) as LeaseMessage;
      expect(lease.lease.jobId).toBe(id);
      expect((await events.waitFor(taskIn('LEASED'))).jobEvents.job.state).toBe('RUNNING');
      await provider.request({ type: 'task.started', attemptId: lease.lease.attemptId });
      await events.waitFor(taskIn('RUNNING'));
      const now = new Date().toISOString();
      await provider.request({
        type: 'task.completed',
        attemptId: lease.lease.attemptId,
        outputs: [],
        startedAt: now,
        finishedAt: now,
      });
      await events.waitFor((e) => e.jobEvents.job.state === 'COMPLETED');
      await sleep(200);
      events.stop();

      const taskStates = events.events
        .map((e) => e.jobEvents.task?.state)
        .filter((s): s is string => s !== undefined)
        .filter((s, i, all) => s !== all[i - 1]);
      expect(taskStates).toEqual(['LEASED', 'RUNNING', 'ACCEPTED']);
      const last = events.events[events.events.length - 1].jobEvents;
      expect(last.job.state).toBe('COMPLETED');
      expect(last.job.progress).toEqual({ tasksDone: 1, tasksTotal: 1 });
      expect(events.error).toBeUndefined();
    });

    it("refuses a subscription to another account's job with JOB_NOT_FOUND", async () => {
      const id = await submitOk(alice);
      const events = new SubscriptionRecorder<JobEvent>(subscribe(bob), JOB_EVENTS, { id });

      const errors = (await events.failure()) as { message: string; extensions?: { code?: string } }[];

      expect(errors).toHaveLength(1);
      expect(errors[0].extensions?.code).toBe('JOB_NOT_FOUND');
      expect(errors[0].message).toBe(`JOB_NOT_FOUND: no job ${id} in your account`);
      expect(events.events).toEqual([]);
    });

    it('ends a subscription with UNAUTHENTICATED when its API key is revoked, and leaves the others open', async () => {
      const id = await submitOk(alice);
      const second = await gql<{ createApiKey: { apiKey: string; key: { id: string } } }>(
        env.url,
        `mutation { createApiKey(label: "watcher") { apiKey key { id } } }`,
        {},
        alice,
      );
      const watched = new SubscriptionRecorder<JobEvent>(subscribe(second.createApiKey.apiKey), JOB_EVENTS, {
        id,
      });
      const other = new SubscriptionRecorder<JobEvent>(subscribe(alice), JOB_EVENTS, { id });
      await watched.waitFor(() => true);
      await other.waitFor(() => true);

      await gql(
        env.url,
        `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
        { id: second.createApiKey.key.id },
        alice,
      );

      const errors = (await watched.failure()) as { message: string; extensions?: { code?: string } }[];
      expect(errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(errors[0].message).toMatch(/revoked/);
      // The subscription of the key still live goes on: it sees the cancellation.
      await gql(env.url, `mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id }, alice);
      await other.waitFor((e) => e.jobEvents.job.state === 'CANCELLED');
      expect(other.error).toBeUndefined();
    });

    it('refuses a subscription with a bad API key (socket closed 4403)', async () => {
      const id = await submitOk(alice);
      const events = new SubscriptionRecorder<JobEvent>(subscribe('tsk_not-a-real-key-000'), JOB_EVENTS, {
        id,
      });

      const error = (await events.failure()) as { code?: number };

      expect(error.code).toBe(4403);
      expect(events.events).toEqual([]);
    });
  });

  describe('attempts', () => {
    it("resolves a task's attempts with their provider and log tail", async () => {
      await drainQueue();
      const id = await submitOk(alice);
      const provider = await agent();
      const lease = (await provider.request({ type: 'claim' })) as LeaseMessage;
      await provider.request({ type: 'task.started', attemptId: lease.lease.attemptId });
      const attemptsOf = async () =>
        (
          await gql<{
            job: {
              tasks: {
                attempts: { id: string; state: string; logTail: string; provider: { address: string } }[];
              }[];
            };
          }>(
            env.url,
            `query($id: ID!) { job(id: $id) { tasks { attempts { id state logTail provider { address } } } } }`,
            { id },
            alice,
          )
        ).job.tasks[0].attempts;

      provider.sendRaw(
        JSON.stringify({
          type: 'task.log',
          attemptId: lease.lease.attemptId,
          stream: 'stdout',
          data: 'frame 1 of 2\n',
        }),
      );
      // Logs are written to the database every second while the task runs.
      const running = await eventually(async () => {
        const [a] = await attemptsOf();
        return a.logTail.includes('frame 1 of 2') && a;
      }, 3000);
      expect(running.state).toBe('RUNNING');

      provider.sendRaw(
        JSON.stringify({
          type: 'task.log',
          attemptId: lease.lease.attemptId,
          stream: 'stderr',
          data: 'frame 2 of 2\n',
        }),
      );
      const now = new Date().toISOString();
      await provider.request({
        type: 'task.completed',
        attemptId: lease.lease.attemptId,
        outputs: [],
        startedAt: now,
        finishedAt: now,
      });
      // ...and on completion, without waiting for the next tick.
      const attempts = await attemptsOf();
      expect(attempts).toEqual([
        {
          id: lease.lease.attemptId,
          state: 'SUCCEEDED',
          logTail: 'frame 1 of 2\nframe 2 of 2\n',
          provider: { address: provider.keypair.address },
        },
      ]);
    });
  });
});
