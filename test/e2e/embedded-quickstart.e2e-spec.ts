import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import {
  AgentProcess,
  CoordinatorProcess,
  distPath,
  REPO_ROOT,
  spawnAgent,
  spawnCoordinator,
} from '@tessera/testing';

const run = promisify(execFile);

/**
 * The quick start's path, piece by piece as scripts/demo.sh runs it: the demo scene made by Blender,
 * a coordinator on its embedded defaults (PGlite, one database connection; no DATABASE_URL), two
 * agents, and an artist using the `tessera` CLI to render it and fetch the frames.
 */
describe('embedded defaults (the quick start)', () => {
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), 'tessera-quickstart-'));

  beforeAll(async () => {
    coordinator = await spawnCoordinator({ TESSERA_DATA_DIR: join(work, 'coordinator') });
    agents = await Promise.all(
      ['embedded-a', 'embedded-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await coordinator?.stop();
  });

  it('renders the demo scene across both agents with the CLI and saves every frame', async () => {
    const scene = execFileSync(
      join(REPO_ROOT, 'scripts/make-demo-scene.sh'),
      [join(work, 'scene'), '6', '160x120', '8'],
      { encoding: 'utf8' },
    ).trim();
    const env = { ...process.env, HOME: join(work, 'home'), TESSERA_URL: coordinator.url };
    const cli = distPath('apps/cli/src/main.js');
    await run(process.execPath, [cli, 'signup', '--name', 'quick start'], { env });
    const { stdout } = await run(
      process.execPath,
      [cli, 'render', scene, '--out', join(work, 'frames'), '--chunk-size', '2'],
      {
        env,
        timeout: 300_000,
      },
    );
    expect(stdout).toMatch(/COMPLETED: 6\/6 frames/);
    const frames = readdirSync(join(work, 'frames')).sort();
    expect(frames).toEqual([1, 2, 3, 4, 5, 6].map((f) => `frame-${String(f).padStart(6, '0')}.png`));
    for (const frame of frames) {
      const png = PNG.sync.read(readFileSync(join(work, 'frames', frame)));
      expect([png.width, png.height]).toEqual([160, 120]);
    }
    expect(coordinator.logs).toContain('using the embedded database');
    const renderedBy = new Set(
      agents.filter((a) => /"kind":"render".*"msg":"task leased"/.test(a.logs)).map((a) => a.address),
    );
    expect(renderedBy.size).toBe(2);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    await Promise.all(agents.map((a) => a.stop()));
    expect(await coordinator.stop('SIGTERM', 20_000)).toBe(0);
  });
});
