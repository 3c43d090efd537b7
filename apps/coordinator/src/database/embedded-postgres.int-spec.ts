import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseMessage } from '@tessera/protocol';
import { createAccount, gql, TestAgent } from '@tessera/testing';
import { RunningCoordinator, startCoordinator } from '../bootstrap';
import { loadConfig } from '../config/config';
import { JsonLogger } from '../logging/json-logger';

/**
 * The embedded database (PGlite behind a loopback socket) shares one session between connections,
 * which let a trial double-claim 160 times out of 40 tasks. The coordinator serialises access to it
 * through a single connection; this checks claims stay exact under concurrent agents.
 */
describe('the embedded database', () => {
  let coordinator: RunningCoordinator;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-embedded-'));
    const config = loadConfig({
      NODE_ENV: 'test',
      TESSERA_PORT: '0',
      TESSERA_DATA_DIR: dataDir,
      TESSERA_LOG_LEVEL: 'fatal',
    });
    coordinator = await startCoordinator(config, new JsonLogger('fatal'));
  });
  afterAll(async () => {
    await coordinator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leases each task once to concurrent agents and counts every completion', async () => {
    const { apiKey } = await createAccount(coordinator.url);
    const { submitContainerJob: job } = await gql<{ submitContainerJob: { id: string } }>(
      coordinator.url,
      `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ["true"], tasks: 40 }) { id } }`,
      {},
      apiKey,
    );
    const agents = await Promise.all([1, 2, 3, 4].map(() => TestAgent.connect(coordinator.url)));
    const leased: string[] = [];
    await Promise.all(
      agents.map(async (agent) => {
        for (let i = 0; i < 10; i++) {
          const reply = (await agent.request({ type: 'claim' })) as LeaseMessage;
          expect(reply.type).toBe('lease');
          leased.push(reply.lease.taskId);
          const now = new Date().toISOString();
          const done = await agent.request({
            type: 'task.completed',
            attemptId: reply.lease.attemptId,
            outputs: [],
            startedAt: now,
            finishedAt: now,
          });
          expect(done.type).toBe('ok');
        }
      }),
    );
    expect(new Set(leased).size).toBe(40);
    const { job: finished } = await gql<{ job: { state: string; progress: { tasksDone: number } } }>(
      coordinator.url,
      `query($id: ID!) { job(id: $id) { state progress { tasksDone } } }`,
      { id: job.id },
      apiKey,
    );
    expect(finished).toEqual({ state: 'COMPLETED', progress: { tasksDone: 40 } });
    agents.forEach((a) => a.close());
  });
});
