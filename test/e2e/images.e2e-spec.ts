import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAccount, freePort, gql, REPO_ROOT } from '@tessera/testing';

const run = promisify(execFile);
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/**
 * The coordinator and agent images, built locally by docker/app-images.sh, run as an operator and a
 * GPU owner would run them: the coordinator on its embedded defaults, the agent driving the host's
 * Docker engine through the socket, and a job going through both.
 */
describe('service images', () => {
  const containers: string[] = [];

  beforeAll(async () => {
    // SKIP_BUILD: other test files run processes from dist/, which a rebuild would pull from under them.
    await run(join(REPO_ROOT, 'docker/app-images.sh'), [], {
      cwd: REPO_ROOT,
      timeout: 480_000,
      env: { ...process.env, SKIP_BUILD: '1' },
    });
  }, 500_000);

  afterAll(() => {
    for (const c of containers) execFileSync('docker', ['rm', '-f', c], { stdio: 'ignore' });
  });

  it('refuses to start the coordinator with bad configuration, naming every problem', () => {
    let output = '';
    let status = 0;
    try {
      execFileSync(
        'docker',
        ['run', '--rm', '-e', 'NODE_ENV=production', '-e', 'TESSERA_PORT=http', 'tessera/coordinator:dev'],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    } catch (error) {
      const e = error as { status: number; stderr: string };
      status = e.status;
      output = e.stderr;
    }
    expect(status).toBe(2);
    expect(output).toMatch(/TESSERA_PORT="http"/);
  });

  it('runs a job through the coordinator image and the agent image', async () => {
    const port = await freePort();
    const workDir = mkdtempSync(join(tmpdir(), 'tessera-agent-image-'));
    containers.push(
      docker(
        'run',
        '-d',
        '--name',
        `tessera-coord-${port}`,
        '-p',
        `127.0.0.1:${port}:8080`,
        'tessera/coordinator:dev',
      ),
    );
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 120; i++) {
      const ok = await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const agentArgs = [
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-v',
      `${workDir}:${workDir}`,
      '-e',
      `TESSERA_AGENT_WORK_DIR=${workDir}/work`,
      '-e',
      `TESSERA_AGENT_KEYPAIR=${workDir}/keypair.json`,
    ];
    expect(docker('run', '--rm', ...agentArgs, 'tessera/agent:dev', 'init')).toMatch(/address: \w{32,44}/);
    containers.push(
      docker(
        'run',
        '-d',
        '--name',
        `tessera-agent-${port}`,
        '--network',
        'host',
        ...agentArgs,
        'tessera/agent:dev',
        'start',
        '--coordinator',
        url,
      ),
    );

    const { apiKey } = await createAccount(url);
    const { submitContainerJob } = await gql<{ submitContainerJob: { id: string } }>(
      url,
      `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ["bash", "-c", "echo from-the-image > /out/r.txt"] }) { id } }`,
      {},
      apiKey,
    );
    let state = '';
    for (let i = 0; i < 120 && !['COMPLETED', 'FAILED'].includes(state); i++) {
      await new Promise((r) => setTimeout(r, 500));
      state = (
        await gql<{ job: { state: string } }>(
          url,
          `query($id: ID!) { job(id: $id) { state } }`,
          { id: submitContainerJob.id },
          apiKey,
        )
      ).job.state;
    }
    expect(state).toBe('COMPLETED');
  });
});
