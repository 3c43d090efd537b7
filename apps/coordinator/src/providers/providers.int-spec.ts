import { CheatingProvider, eventually, gql, gqlRaw } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { honestRows, InferenceWork } from '../../test/inference-work';
import { ProviderGateway } from '../gateway/provider-gateway';

// Medium test: a provider's public page shows the tasks it holds and how its last attempts ended,
// through the real coordinator and wire protocol, and never whose work they are.

const TASKS = `id taskId kind role state itemUnit items firstItem lastItem leasedAt startedAt finishedAt failureCode`;

interface TaskView {
  id: string;
  taskId: string;
  kind: string;
  role: string;
  state: string;
  itemUnit: string;
  items: number;
  firstItem: number | null;
  lastItem: number | null;
  finishedAt: string | null;
}

describe('a provider’s current tasks and recent attempts', () => {
  let env: TestCoordinator;
  let work: InferenceWork;
  const open: CheatingProvider[] = [];

  beforeAll(async () => {
    env = await startTestCoordinator();
    (env.get(ProviderGateway) as unknown as { claimWaitMs: number }).claimWaitMs = 1000;
    work = await InferenceWork.forNewAccount(env, 'Secret Studio');
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

  /** What anyone (no API key) reads on the provider's page. */
  async function page(id: string, limit = 10) {
    const raw = await gqlRaw<{ provider: { currentTasks: TaskView[]; recentAttempts: TaskView[] } }>(
      env.url,
      `query($id: ID!, $limit: Int!) { provider(id: $id) { currentTasks { ${TASKS} } recentAttempts(limit: $limit) { ${TASKS} } } }`,
      { id, limit },
    );
    return { raw: JSON.stringify(raw), ...(raw.data?.provider ?? { currentTasks: [], recentAttempts: [] }) };
  }

  it('lists the task a provider holds by its kind and rows, then the attempt’s outcome once its check passed, naming no job or customer', async () => {
    const [worker, verifier] = [await provider(), await provider()];
    expect(await page(worker.providerId)).toMatchObject({ currentTasks: [], recentAttempts: [] });
    const jobId = await work.job({ rows: [4, 4], name: 'Secret project' });

    const lease = await worker.nextLease();
    const held = await page(worker.providerId);
    expect(held.currentTasks).toEqual([
      expect.objectContaining({
        id: lease.attemptId,
        taskId: lease.taskId,
        kind: 'inference',
        role: 'work',
        state: 'LEASED',
        itemUnit: 'rows',
        items: 4,
        firstItem: 0,
        lastItem: 3,
        finishedAt: null,
      }),
    ]);
    // Public: nothing in the answer names the job, its owner or what it is called.
    for (const secret of [jobId, work.accountId, 'Secret project', 'Secret Studio', 'model.onnx'])
      expect(held.raw).not.toContain(secret);

    await worker.deliver(lease, honestRows(lease));
    const check = await verifier.nextLease();
    expect(check.task.params.check).toBeDefined();
    // The worker holds nothing now; its attempt waits on the check. The verifier holds the check,
    // shown as a count of re-executed rows, not which ones.
    const waiting = await page(worker.providerId);
    expect(waiting.currentTasks).toEqual([]);
    expect(waiting.recentAttempts).toEqual([
      expect.objectContaining({ id: lease.attemptId, state: 'VERIFYING', firstItem: 0, lastItem: 3 }),
    ]);
    const checking = await page(verifier.providerId);
    expect(checking.currentTasks).toEqual([
      expect.objectContaining({
        role: 'check',
        state: 'LEASED',
        itemUnit: 'rows',
        items: (check.task.params.check as { rows: number[] }).rows.length,
        firstItem: null,
        lastItem: null,
      }),
    ]);
    expect(checking.raw).not.toContain(jobId);

    await verifier.deliver(check, honestRows(check));
    await eventually(async () => (await page(worker.providerId)).recentAttempts[0]?.state === 'ACCEPTED');
    const verifierAfter = await page(verifier.providerId);
    expect(verifierAfter.currentTasks).toEqual([]);
    expect(verifierAfter.recentAttempts).toEqual([
      expect.objectContaining({ id: check.attemptId, role: 'check', state: 'ACCEPTED' }),
    ]);
    expect(verifierAfter.recentAttempts[0].finishedAt).not.toBeNull();
  });

  it('returns the newest attempts first, at most `limit` of them', async () => {
    const [worker, verifier] = [await provider(), await provider()];
    await work.job({ rows: [2, 2, 2] });
    const attempts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const lease = await worker.nextLease();
      attempts.push(lease.attemptId);
      await worker.deliver(lease, honestRows(lease));
      const check = await verifier.nextLease();
      await verifier.deliver(check, honestRows(check));
    }
    const recent = (await page(worker.providerId, 2)).recentAttempts;
    expect(recent.map((a) => a.id)).toEqual([attempts[2], attempts[1]]);
    expect(recent.every((a) => a.state === 'ACCEPTED' && a.items === 2)).toBe(true);
  });

  it('refuses a limit outside 1 to 50 and an unknown provider, saying what is wrong', async () => {
    const [someone] = [await provider()];
    for (const limit of [0, 51]) {
      const result = await gqlRaw(
        env.url,
        `query($id: ID!, $limit: Int!) { provider(id: $id) { recentAttempts(limit: $limit) { id } } }`,
        { id: someone.providerId, limit },
      );
      expect(result.errors?.[0]).toMatchObject({
        message: `BAD_INPUT: limit must be from 1 to 50, got ${limit}`,
        extensions: { code: 'BAD_INPUT', field: 'limit' },
      });
    }
    const unknown = await gqlRaw(
      env.url,
      `{ provider(id: "${crypto.randomUUID()}") { currentTasks { id } } }`,
    );
    expect(unknown.errors?.[0].extensions?.code).toBe('PROVIDER_NOT_FOUND');
    // A list of providers asks for everyone's tasks in one batch.
    const list = await gql<{ providers: { id: string; currentTasks: unknown[] }[] }>(
      env.url,
      `{ providers(limit: 100) { id currentTasks { id } } }`,
    );
    expect(list.providers.length).toBeGreaterThanOrEqual(5);
  });
});
