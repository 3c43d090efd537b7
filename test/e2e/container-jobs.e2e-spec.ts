import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  AgentProcess,
  collectUntil,
  CoordinatorProcess,
  createAccount,
  createTestDatabase,
  downloadBlob,
  gql,
  spawnAgent,
  spawnCoordinator,
  subscriptionClient,
  TestDatabase,
  uploadBlob,
} from '@tessera/testing';

/**
 * End to end, as users run it: a coordinator process on the machine's PostgreSQL, two
 * `tessera-agent start` processes running real sandboxed containers on the real Docker engine, and a
 * customer talking GraphQL over HTTP/WebSocket and the blob API.
 */

interface JobView {
  id: string;
  state: string;
  progress: { tasksDone: number; tasksTotal: number };
  error: { code: string; message: string } | null;
  outputs: { path: string; sha256: string; size: number }[];
  tasks: {
    index: number;
    state: string;
    attempts: { state: string; failureCode: string | null; logTail: string; provider: { address: string } }[];
  }[];
}

const JOB_FIELDS = `id state progress { tasksDone tasksTotal } error { code message } outputs { path sha256 size }
  tasks { index state attempts { state failureCode logTail provider { address } } }`;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('container jobs end to end', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[];
  let apiKey: string;
  const coordinatorEnv = () => ({
    DATABASE_URL: db.url,
    TESSERA_MIGRATE_ON_START: 'true',
    TESSERA_LEASE_TTL_SEC: '10',
    TESSERA_HEARTBEAT_SEC: '2',
    TESSERA_TASK_MAX_ATTEMPTS: '3',
  });

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    coordinator = await spawnCoordinator(coordinatorEnv());
    agents = await Promise.all(
      ['agent-a', 'agent-b'].map((name) =>
        spawnAgent({ coordinatorUrl: coordinator.url, name, env: { TESSERA_AGENT_STOP_GRACE_SEC: '2' } }),
      ),
    );
    ({ apiKey } = await createAccount(coordinator.url, 'e2e customer'));
  });

  afterAll(async () => {
    await Promise.all((agents ?? []).map((a) => a.stop('SIGTERM', 20_000)));
    await coordinator?.stop();
    await db?.drop();
  });

  async function submit(input: Record<string, unknown>): Promise<string> {
    const data = await gql<{ submitContainerJob: { id: string } }>(
      coordinator.url,
      `mutation($input: SubmitContainerJobInput!) { submitContainerJob(input: $input) { id } }`,
      { input: { image: 'tessera/toolbox:1', memoryMb: 128, timeoutSec: 60, ...input } },
      apiKey,
    );
    return data.submitContainerJob.id;
  }

  async function job(id: string): Promise<JobView> {
    return (
      await gql<{ job: JobView }>(
        coordinator.url,
        `query($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`,
        { id },
        apiKey,
      )
    ).job;
  }

  /** Follows the job over the graphql-ws subscription until it ends. */
  async function untilFinished(id: string, timeoutMs = 120_000): Promise<string[]> {
    const client = subscriptionClient(coordinator.url, apiKey);
    try {
      const events = await collectUntil<{ jobEvents: { job: { state: string } } }>(
        client,
        `subscription($id: ID!) { jobEvents(jobId: $id) { job { state } task { index state } } }`,
        { id },
        (e) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(e.jobEvents.job.state),
        timeoutMs,
      );
      return events.map((e) => e.jobEvents.job.state);
    } finally {
      await client.dispose();
    }
  }

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('runs a sharded job across both agents and returns hash-verified outputs', async () => {
    const words = Buffer.from('tessera moves real work\n');
    expect((await uploadBlob(coordinator.url, words, apiKey, sha256(words))).status).toBe(201);
    const id = await submit({
      command: [
        'bash',
        '-c',
        'sleep 2; tr a-z A-Z < /in/words.txt > /out/upper.txt; echo "$TESSERA_TASK_INDEX" > /out/index.txt; echo "shard $TESSERA_TASK_INDEX done"',
      ],
      inputs: [{ sha256: sha256(words), path: 'words.txt' }],
      tasks: 4,
    });
    const states = await untilFinished(id);
    expect(states[states.length - 1]).toBe('COMPLETED');
    const done = await job(id);
    expect(done.progress).toEqual({ tasksDone: 4, tasksTotal: 4 });
    expect(done.outputs.map((o) => o.path).sort()).toEqual(
      [0, 1, 2, 3].flatMap((i) => [`task-${i}/index.txt`, `task-${i}/upper.txt`]).sort(),
    );
    for (const output of done.outputs) {
      const { status, bytes } = await downloadBlob(coordinator.url, output.sha256, apiKey);
      expect(status).toBe(200);
      expect(sha256(bytes)).toBe(output.sha256);
      const index = /task-(\d)/.exec(output.path)?.[1];
      expect(bytes.toString()).toBe(
        output.path.endsWith('upper.txt') ? 'TESSERA MOVES REAL WORK\n' : `${index}\n`,
      );
    }
    const workers = new Set(
      done.tasks.flatMap((t) =>
        t.attempts.filter((a) => a.state === 'SUCCEEDED').map((a) => a.provider.address),
      ),
    );
    expect([...workers].sort()).toEqual(agents.map((a) => a.address).sort());
    expect(done.tasks[0].attempts[0].logTail).toMatch(/shard \d done/);
  });

  it('reports a job that breaks the sandbox rules as failed, with the reason', async () => {
    const id = await submit({ command: ['bash', '-c', 'echo pwned > /etc/passwd'] });
    await untilFinished(id);
    const failed = await job(id);
    expect(failed.state).toBe('FAILED');
    expect(failed.error?.message).toMatch(/failed 3 times; last: EXIT_NONZERO/);
    expect(failed.tasks[0].attempts.map((a) => a.failureCode)).toEqual([
      'EXIT_NONZERO',
      'EXIT_NONZERO',
      'EXIT_NONZERO',
    ]);
    expect(failed.tasks[0].attempts[0].logTail).toMatch(/Read-only file system|Permission denied/);
  });

  it('finishes the task on the other agent when one is killed -9 mid-task, with exactly one accepted attempt', async () => {
    const id = await submit({ command: ['bash', '-c', 'sleep 5; echo survived > /out/result.txt'] });
    const holder = await waitFor('the task to start', async () => {
      const view = await job(id);
      const running = view.tasks[0]?.state === 'RUNNING' ? view.tasks[0].attempts.at(-1) : undefined;
      return running ? agents.find((a) => a.address === running.provider.address) : undefined;
    });
    await holder?.kill9();
    // The killed agent's container is an orphan now; a restarted agent would remove it, here the test does.
    execFileSync('docker', ['ps', '-aq', '--filter', `label=tessera.job=${id}`])
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((c) => execFileSync('docker', ['rm', '-f', c]));
    await untilFinished(id);
    const done = await job(id);
    expect(done.state).toBe('COMPLETED');
    const attempts = done.tasks[0].attempts;
    expect(attempts.map((a) => a.state)).toEqual(['EXPIRED', 'SUCCEEDED']);
    expect(attempts[1].provider.address).not.toBe(holder?.address);
    const result = await downloadBlob(coordinator.url, done.outputs[0].sha256, apiKey);
    expect(result.bytes.toString()).toBe('survived\n');
    // Bring the fleet back to two agents for the next tests, reusing the killed agent's identity.
    const restarted = await spawnAgent({
      coordinatorUrl: coordinator.url,
      name: 'agent-restarted',
      keypairPath: holder?.keypairPath,
    });
    agents = agents.map((a) => (a === holder ? restarted : a));
  });

  it('loses nothing when the coordinator restarts mid-job: agents reconnect and report', async () => {
    const id = await submit({
      command: ['bash', '-c', 'sleep 6; echo "$TESSERA_TASK_INDEX" > /out/i.txt'],
      tasks: 2,
    });
    await waitFor('both tasks to run', async () =>
      (await job(id)).tasks.every((t) => t.state === 'RUNNING') ? true : undefined,
    );
    await coordinator.kill9();
    coordinator = await spawnCoordinator(coordinatorEnv(), coordinator.port);
    await untilFinished(id);
    const done = await job(id);
    expect(done.state).toBe('COMPLETED');
    for (const task of done.tasks) expect(task.attempts.map((a) => a.state)).toEqual(['SUCCEEDED']);
    await Promise.all(agents.map((a) => a.waitForLog(/reconnecting to the coordinator/, 1000)));
  });

  it('stops the container when the customer cancels the job', async () => {
    const id = await submit({ command: ['sleep', '120'] });
    await waitFor('the task to start', async () =>
      (await job(id)).tasks[0]?.state === 'RUNNING' ? true : undefined,
    );
    await gql(coordinator.url, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, { id }, apiKey);
    await waitFor(
      'the container to be removed',
      async () =>
        execFileSync('docker', ['ps', '-aq', '--filter', `label=tessera.job=${id}`])
          .toString()
          .trim() === ''
          ? true
          : undefined,
      20_000,
    );
    const cancelled = await job(id);
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.tasks[0].attempts.map((a) => a.state)).toEqual(['CANCELLED']);
  });

  it('drains on SIGTERM: the running task finishes and is reported, no new work is taken', async () => {
    const id = await submit({ command: ['bash', '-c', 'sleep 3; echo finished > /out/f.txt'], tasks: 1 });
    const holder = await waitFor('the task to start', async () => {
      const view = await job(id);
      const running = view.tasks[0]?.state === 'RUNNING' ? view.tasks[0].attempts.at(-1) : undefined;
      return running ? agents.find((a) => a.address === running.provider.address) : undefined;
    });
    const exit = holder?.stop('SIGTERM', 60_000);
    const later = await submit({ command: ['true'] });
    expect(await exit).toBe(0);
    await untilFinished(id);
    expect((await job(id)).state).toBe('COMPLETED');
    await untilFinished(later);
    const laterJob = await job(later);
    expect(laterJob.state).toBe('COMPLETED');
    expect(laterJob.tasks[0].attempts.every((a) => a.provider.address !== holder?.address)).toBe(true);
  });
});
