import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AgentProcess, CoordinatorProcess, distPath, spawnAgent, spawnCoordinator } from '@tessera/testing';

/**
 * The quick start's path: a coordinator on its embedded defaults (PGlite, one database connection,
 * local blob directory; no DATABASE_URL), two agents, and the demo customer script.
 */
describe('embedded defaults (the quick start)', () => {
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[] = [];

  beforeAll(async () => {
    coordinator = await spawnCoordinator({
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-embedded-')),
    });
    agents = await Promise.all(
      ['embedded-a', 'embedded-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await coordinator?.stop();
  });

  it('runs the demo job end to end and saves hash-verified outputs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tessera-demo-out-'));
    const { stdout } = await promisify(execFile)(process.execPath, [distPath('scripts/demo-job.js')], {
      env: { ...process.env, TESSERA_URL: coordinator.url, TESSERA_DEMO_OUT: out },
      timeout: 180_000,
    });
    expect(stdout).toMatch(/COMPLETED\s+2\/2 tasks done/);
    expect(stdout).toMatch(/6 output files verified \(sha256\)/);
    const jobId = /job ([0-9a-f-]{36}) queued/.exec(stdout)?.[1] as string;
    expect(readFileSync(join(out, jobId, 'task-1', 'poem-upper.txt'), 'utf8')).toContain(
      'THE WOODS ARE LOVELY, DARK AND DEEP,',
    );
    expect(readFileSync(join(out, jobId, 'task-0', 'word-count.txt'), 'utf8').trim()).toBe('27');
    expect(coordinator.logs).toContain('using the embedded database');
  });

  it('shuts down cleanly on SIGTERM', async () => {
    await Promise.all(agents.map((a) => a.stop()));
    expect(await coordinator.stop('SIGTERM', 20_000)).toBe(0);
  });
});
