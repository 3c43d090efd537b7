import type { CancelMessage, LeaseMessage } from '@tessera/protocol';
import { createAccount, gql, subscriptionClient, SubscriptionRecorder, TestAgent } from '@tessera/testing';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two coordinator replicas on one database and one Redis: what happens on one must reach agents and
 * subscribers connected to the other.
 */
describe('coordinator replicas over Redis', () => {
  let a: TestCoordinator;
  let b: TestCoordinator;
  let apiKey: string;

  beforeAll(async () => {
    a = await startTestCoordinator({ REDIS_URL, DATABASE_POOL_SIZE: '4' });
    b = await startTestCoordinator({ REDIS_URL, DATABASE_POOL_SIZE: '4' }, { db: a.db });
    ({ apiKey } = await createAccount(a.url));
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  const submit = async (url: string, command = '["true"]') =>
    (
      await gql<{ submitContainerJob: { id: string } }>(
        url,
        `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ${command} }) { id } }`,
        {},
        apiKey,
      )
    ).submitContainerJob.id;

  it('wakes an agent waiting on one replica when work is queued on the other', async () => {
    const agent = await TestAgent.connect(a.url);
    const claim = agent.request({ type: 'claim' }, 15_000);
    await new Promise((r) => setTimeout(r, 300)); // the claim is now parked in a long poll on replica a
    const started = Date.now();
    const jobId = await submit(b.url);
    const lease = (await claim) as LeaseMessage;
    expect(lease.type).toBe('lease');
    expect(lease.lease.jobId).toBe(jobId);
    expect(Date.now() - started).toBeLessThan(2_000); // not the 20 s long-poll timeout
    agent.close();
  });

  it('pushes a cancel made through one replica to the agent connected to the other', async () => {
    const agent = await TestAgent.connect(a.url);
    const jobId = await submit(b.url, '["sleep", "60"]');
    const lease = (await agent.request({ type: 'claim' })) as LeaseMessage;
    expect(lease.lease.jobId).toBe(jobId);
    const cancel = agent.next((m) => m.type === 'cancel', 5_000) as Promise<CancelMessage>;
    await gql(b.url, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, { id: jobId }, apiKey);
    expect((await cancel).attemptId).toBe(lease.lease.attemptId);
    agent.close();
  });

  it('shows a subscriber on one replica the task an agent finished on the other', async () => {
    const agent = await TestAgent.connect(a.url);
    const jobId = await submit(a.url);
    const client = subscriptionClient(b.url, apiKey);
    const recorder = new SubscriptionRecorder<{ jobEvents: { job: { state: string } } }>(
      client,
      `subscription($id: ID!) { jobEvents(jobId: $id) { job { state } } }`,
      { id: jobId },
    );
    await recorder.waitFor(() => true, 5_000); // the first event is the current state: subscribed
    const lease = (await agent.request({ type: 'claim' })) as LeaseMessage;
    await agent.request({ type: 'task.started', attemptId: lease.lease.attemptId });
    const now = new Date().toISOString();
    await agent.request({
      type: 'task.completed',
      attemptId: lease.lease.attemptId,
      outputs: [],
      startedAt: now,
      finishedAt: now,
    });
    const last = await recorder.waitFor((e) => e.jobEvents.job.state === 'COMPLETED', 5_000);
    expect(last.jobEvents.job.state).toBe('COMPLETED');
    await client.dispose();
    agent.close();
  });
});
