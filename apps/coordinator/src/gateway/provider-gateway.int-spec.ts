import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@tessera/crypto';
import { createAccount, gql, TestAgent, uploadBlob } from '@tessera/testing';
import type { LeaseMessage } from '@tessera/protocol';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';

describe('provider gateway', () => {
  let env: TestCoordinator;
  let apiKey: string;

  beforeAll(async () => {
    env = await startTestCoordinator();
    ({ apiKey } = await createAccount(env.url));
  });
  afterAll(() => env.stop());

  async function submitJob(extra = ''): Promise<string> {
    const data = await gql<{ submitContainerJob: { id: string } }>(
      env.url,
      `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ["true"] ${extra} }) { id } }`,
      {},
      apiKey,
    );
    return data.submitContainerJob.id;
  }

  it('moves a job from submission to completion over the real protocol', async () => {
    const agent = await TestAgent.connect(env.url);
    const jobId = await submitJob();
    const lease = (await agent.request({ type: 'claim' })) as LeaseMessage;
    expect(lease.type).toBe('lease');
    expect(lease.lease.jobId).toBe(jobId);
    expect(await agent.request({ type: 'task.started', attemptId: lease.lease.attemptId })).toMatchObject({
      type: 'ok',
    });

    const bytes = randomBytes(100);
    const sha256 = sha256Hex(bytes);
    const put = await uploadBlob(env.url, bytes, agent.welcome?.blobToken as string, sha256);
    expect(put.status).toBe(201);
    const startedAt = new Date().toISOString();
    const reply = await agent.request({
      type: 'task.completed',
      attemptId: lease.lease.attemptId,
      outputs: [{ path: 'out.bin', sha256, size: 100 }],
      startedAt,
      finishedAt: new Date().toISOString(),
    });
    expect(reply).toMatchObject({ type: 'ok' });
    const job = await gql<{ job: { state: string; outputs: { sha256: string }[] } }>(
      env.url,
      `query($id: ID!) { job(id: $id) { state outputs { sha256 } } }`,
      { id: jobId },
      apiKey,
    );
    expect(job.job).toEqual({ state: 'COMPLETED', outputs: [{ sha256 }] });
    agent.close();
  });
});
