import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { Ed25519Keypair } from '@tessera/crypto';
import { GpuQuery } from '../capabilities/nvidia-smi';
import { RunRequest, RunResult } from '@tessera/sandbox';
import { RunnerError } from '@tessera/sandbox';
import {
  checkClock,
  checkDisk,
  checkDockerReachable,
  checkDockerVersion,
  checkGpu,
  checkKeypair,
  checkSandbox,
  compareVersions,
  GIB,
  KeypairFs,
  SandboxRunner,
} from './checks';

const MIB = 1024 ** 2;

function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

function dockerFailing(error: Error): Pick<Docker, 'version'> {
  return { version: jest.fn(async () => Promise.reject(error)) } as unknown as Pick<Docker, 'version'>;
}

/** A runner that "runs" the container by printing `stdout` and exiting with `exitCode`. */
function fakeRunner(stdout: string, exitCode = 0): SandboxRunner & { requests: RunRequest[] } {
  const requests: RunRequest[] = [];
  return {
    requests,
    run: async (request: RunRequest): Promise<RunResult> => {
      requests.push(request);
      request.onLog('stdout', stdout);
      const now = new Date();
      return { exitCode, outcome: 'exited', startedAt: now, finishedAt: now };
    },
  };
}

function failingRunner(error: Error): SandboxRunner {
  return { run: async () => Promise.reject(error) };
}

// The sandbox checks make scratch directories under the work dir even with a fake runner.
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tessera-doctor-unit-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('checkDockerReachable', () => {
  it('tells a user without access to join the docker group', async () => {
    const { check } = await checkDockerReachable(dockerFailing(errno('EACCES')), {});
    expect(check).toEqual({
      name: 'Docker reachable',
      status: 'fail',
      detail: 'permission denied on unix:///var/run/docker.sock',
      fix: 'add this user to the docker group: `sudo usermod -aG docker $USER`, then log out and in again (or run the agent as root)',
    });
  });

  it('tells a host without a daemon to install and start Docker', async () => {
    const { check } = await checkDockerReachable(dockerFailing(errno('ENOENT')), {});
    expect(check).toMatchObject({
      status: 'fail',
      detail: 'no Docker daemon at unix:///var/run/docker.sock (ENOENT)',
      fix: expect.stringMatching(/apt-get install docker.io.*systemctl enable --now docker/),
    });
  });

  it('points at DOCKER_HOST when that is where nothing answers', async () => {
    const { check } = await checkDockerReachable(dockerFailing(errno('ECONNREFUSED')), {
      DOCKER_HOST: 'tcp://10.0.0.5:2375',
    });
    expect(check.detail).toBe('no Docker daemon at DOCKER_HOST=tcp://10.0.0.5:2375 (ECONNREFUSED)');
    expect(check.fix).toMatch(/unset DOCKER_HOST/);
  });

  it('returns the version when the engine answers', async () => {
    const docker = { version: async () => ({ Version: '20.10.24', ApiVersion: '1.41' }) };
    const result = await checkDockerReachable(docker as unknown as Pick<Docker, 'version'>, {});
    expect(result).toEqual({
      check: {
        name: 'Docker reachable',
        status: 'ok',
        detail: 'the engine answers at unix:///var/run/docker.sock',
      },
      version: { Version: '20.10.24', ApiVersion: '1.41' },
    });
  });
});

describe('checkDockerVersion', () => {
  it('fails below API 1.41 and says to upgrade', () => {
    expect(checkDockerVersion({ Version: '19.03.15', ApiVersion: '1.40' })).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/upgrade Docker to 20.10 or newer/),
    });
  });

  it.each(['1.41', '1.44', '1.51'])('accepts API %s', (api) => {
    expect(checkDockerVersion({ Version: 'x', ApiVersion: api }).status).toBe('ok');
  });
});

describe('checkSandbox', () => {
  it('names the missing image and the script that builds it', async () => {
    const check = await checkSandbox(fakeRunner('10001\n'), undefined, 'tessera/toolbox:1', workDir);
    expect(check).toEqual({
      name: 'sandbox container',
      status: 'fail',
      detail: 'image tessera/toolbox:1 is missing',
      fix: 'build it: run `docker/build-images.sh` from the Tessera checkout (it also creates the base debian:bookworm-slim)',
    });
  });

  it('reports why the sandboxed container did not run', async () => {
    const runner = failingRunner(
      new RunnerError('AGENT_ERROR', 'the container runtime failed: OCI runtime create failed'),
    );
    const check = await checkSandbox(runner, 'tessera/toolbox:1', 'tessera/toolbox:1', workDir);
    expect(check).toMatchObject({
      status: 'fail',
      detail:
        'a sandboxed container in tessera/toolbox:1 did not run: the container runtime failed: OCI runtime create failed',
      fix: expect.stringMatching(/^reproduce it with `docker run --rm --init --network none/),
    });
  });

  it('fails when the container does not run as uid 10001', async () => {
    const check = await checkSandbox(fakeRunner('0\n'), 'tessera/toolbox:1', 'tessera/toolbox:1', workDir);
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/printing "0", not uid 10001/);
  });

  it('passes a container that runs as uid 10001, asking for no GPU', async () => {
    const runner = fakeRunner('10001\n');
    const check = await checkSandbox(runner, 'tessera/toolbox:1', 'tessera/toolbox:1', workDir);
    expect(check.status).toBe('ok');
    expect(runner.requests[0]).toMatchObject({
      gpuAvailable: false,
      spec: { gpus: 0, image: 'tessera/toolbox:1' },
    });
  });
});

describe('checkGpu', () => {
  const twoGpus: GpuQuery = {
    found: true,
    skipped: [],
    gpus: [
      { index: 0, name: 'NVIDIA GeForce RTX 4090', vramBytes: 24564 * MIB, driverVersion: '550.54.14' },
      { index: 1, name: 'NVIDIA GeForce RTX 4090', vramBytes: 24564 * MIB, driverVersion: '550.54.14' },
    ],
  };

  it('warns that a host without nvidia-smi takes CPU work only', async () => {
    const check = await checkGpu(
      { found: false, gpus: [], skipped: [] },
      fakeRunner(''),
      'tessera/toolbox:1',
      workDir,
    );
    expect(check).toEqual({
      name: 'GPU',
      status: 'warn',
      detail: 'no NVIDIA GPU found: this agent will take CPU work only',
      fix: 'to sell GPU time, install the NVIDIA driver so that `nvidia-smi` works, then the NVIDIA container toolkit',
    });
  });

  it('fails when nvidia-smi exists but the driver is not loaded', async () => {
    const query: GpuQuery = {
      found: true,
      gpus: [],
      skipped: [],
      error: "couldn't communicate with the NVIDIA driver",
    };
    const check = await checkGpu(query, fakeRunner(''), 'tessera/toolbox:1', workDir);
    expect(check).toMatchObject({
      status: 'fail',
      detail: "nvidia-smi is installed but lists no GPU: couldn't communicate with the NVIDIA driver",
      fix: expect.stringMatching(/NVIDIA driver is loaded/),
    });
  });

  it('tells to install the container toolkit when a container cannot get the GPU', async () => {
    const runner = failingRunner(
      new RunnerError(
        'AGENT_ERROR',
        'the container runtime failed: could not select device driver "nvidia" with capabilities: [[gpu]]',
      ),
    );
    const check = await checkGpu(twoGpus, runner, 'tessera/toolbox:1', workDir);
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /^0: NVIDIA GeForce RTX 4090 24 GiB, 1: .*; but a container cannot get a GPU: .*could not select device driver "nvidia"/,
    );
    expect(check.fix).toMatch(
      /install the NVIDIA container toolkit.*nvidia-ctk runtime configure --runtime=docker.*restart dockerd/,
    );
  });

  it('fails when the container starts but sees no GPU', async () => {
    const check = await checkGpu(twoGpus, fakeRunner('', 2), 'tessera/toolbox:1', workDir);
    expect(check).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/no GPU is visible inside a container \(exit 2\)/),
    });
  });

  it('passes when the GPUs are visible inside a sandboxed container', async () => {
    const runner = fakeRunner(
      'GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-1)\nGPU 1: NVIDIA GeForce RTX 4090 (UUID: GPU-2)\n',
    );
    const check = await checkGpu(twoGpus, runner, 'tessera/toolbox:1', workDir);
    expect(check.status).toBe('ok');
    expect(runner.requests[0]).toMatchObject({ gpuAvailable: true, spec: { gpus: 2 } });
  });
});

describe('checkDisk', () => {
  const thresholds = { warnBytes: 10 * GIB, failBytes: GIB };

  it('fails below the minimum and says how to get space', async () => {
    const check = await checkDisk(async () => 500 * MIB, '/var/lib/tessera', thresholds);
    expect(check).toEqual({
      name: 'free disk',
      status: 'fail',
      detail: '500 MiB free for /var/lib/tessera, below the minimum of 1 GiB',
      fix: 'free space on that filesystem (`docker system prune` removes unused images), or point --work-dir (TESSERA_AGENT_WORK_DIR) at a larger disk',
    });
  });

  it('warns below the recommended space', async () => {
    const check = await checkDisk(async () => 5 * GIB, '/var/lib/tessera', thresholds);
    expect(check).toMatchObject({
      status: 'warn',
      detail: '5 GiB free for /var/lib/tessera, below the recommended 10 GiB',
    });
  });

  it('passes with enough space', async () => {
    const check = await checkDisk(async () => 80 * GIB, '/var/lib/tessera', thresholds);
    expect(check).toEqual({ name: 'free disk', status: 'ok', detail: '80 GiB free for /var/lib/tessera' });
  });
});

describe('checkKeypair', () => {
  const keypair = Ed25519Keypair.generate();
  const path = '/home/gpu/.config/tessera/keypair.json';

  function fakeFs(content: string | Error, mode = 0o100600): KeypairFs {
    return {
      readFile: async () => (typeof content === 'string' ? content : Promise.reject(content)),
      stat: async () => ({ mode }),
    };
  }

  it('tells to run init when there is no keypair', async () => {
    const check = await checkKeypair(path, fakeFs(errno('ENOENT')));
    expect(check).toEqual({
      name: 'keypair',
      status: 'fail',
      detail: `no keypair at ${path}`,
      fix: "run `tessera-agent init` to create this machine's identity",
    });
  });

  it.each([
    ['not JSON', 'not json', /is not JSON/],
    ['a short array', JSON.stringify([1, 2, 3]), /is not a Solana keypair/],
    ['numbers out of range', JSON.stringify(Array(64).fill(300)), /is not a Solana keypair/],
  ])('fails on a file that is %s', async (_what, content, detail) => {
    const check = await checkKeypair(path, fakeFs(content));
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(detail);
    expect(check.fix).toMatch(/tessera-agent init --force/);
  });

  it('fails on a secret key whose public half does not match', async () => {
    const bytes = [...keypair.secretKey];
    bytes[63] ^= 1;
    const check = await checkKeypair(path, fakeFs(JSON.stringify(bytes)));
    expect(check).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/public half does not match/),
    });
  });

  it('warns when other users can read the key', async () => {
    const check = await checkKeypair(path, fakeFs(JSON.stringify([...keypair.secretKey]), 0o100644));
    expect(check).toMatchObject({ status: 'warn', fix: expect.stringMatching(/^`chmod 600 /) });
  });

  it('shows the address of a good keypair', async () => {
    const check = await checkKeypair(path, fakeFs(JSON.stringify([...keypair.secretKey])));
    expect(check).toEqual({ name: 'keypair', status: 'ok', detail: `address ${keypair.address}` });
  });
});

describe('checkClock', () => {
  const url = 'https://coordinator.example';
  const at = Date.parse('2026-01-01T12:00:00Z');

  it('warns when this clock is more than 5 s off', async () => {
    const check = await checkClock(
      url,
      async () => new Date(at - 30_000).toUTCString(),
      () => at,
    );
    expect(check).toMatchObject({
      status: 'warn',
      detail: 'this clock is 29.5 s ahead of the coordinator',
      fix: expect.stringMatching(/timedatectl set-ntp true/),
    });
  });

  it('passes a clock within the Date header’s resolution', async () => {
    const check = await checkClock(
      url,
      async () => new Date(at).toUTCString(),
      () => at + 400,
    );
    expect(check.status).toBe('ok');
  });

  it('fails when the coordinator cannot be reached', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const check = await checkClock(
      url,
      async () => Promise.reject(refused),
      () => at,
    );
    expect(check).toMatchObject({
      status: 'fail',
      detail: `cannot reach the coordinator at ${url} (ECONNREFUSED)`,
      fix: expect.stringMatching(/TESSERA_COORDINATOR_URL/),
    });
  });

  it('warns when there is no Date header', async () => {
    expect(
      (
        await checkClock(
          url,
          async () => null,
          () => at,
        )
      ).status,
    ).toBe('warn');
  });
});

describe('compareVersions', () => {
  it.each([
    ['1.41', '1.41', 0],
    ['1.9', '1.41', -1],
    ['1.44', '1.41', 1],
    ['2', '1.41', 1],
  ])('compares %s with %s', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});
