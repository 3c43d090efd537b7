import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { ContainerSpec } from '@tessera/protocol';
import { DockerRunner, RunRequest, RunResult } from './docker-runner';
import { RunnerError } from './runner-error';

// Medium tests: the real Docker engine and the real toolbox image. Every container carries a label
// unique to this test file, so removeStale and the "nothing left behind" checks never touch
// containers of other test files running in parallel.

const IMAGE = 'tessera/toolbox:1';
const MIB = 1024 * 1024;
const TEST_LABEL = 'tessera.test';
const testId = `runner-${process.pid}`;
const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

const docker = new Docker();
const sut = new DockerRunner(docker, { labels: { [TEST_LABEL]: testId }, outputWatchMs: 200 });
let root: string;
let counter = 0;

function spec(command: string[], limits: Partial<ContainerSpec['limits']> = {}): ContainerSpec {
  return {
    image: IMAGE,
    command,
    env: {},
    inputs: [],
    limits: {
      cpus: 1,
      memoryBytes: 128 * MIB,
      pids: 64,
      timeoutSec: 30,
      tmpBytes: 16 * MIB,
      outputBytes: 16 * MIB,
      outputFiles: 100,
      ...limits,
    },
    gpus: 0,
  };
}

interface Job {
  result: RunResult;
  stdout: string;
  stderr: string;
  outputDir: string;
}

/** Runs a shell script in the sandbox and asserts afterwards that its container is gone. */
async function runJob(
  script: string,
  options: {
    limits?: Partial<ContainerSpec['limits']>;
    inputs?: Record<string, string>;
  } & Partial<RunRequest> = {},
): Promise<Job> {
  const dir = join(root, `job-${++counter}`);
  const inputDir = join(dir, 'in');
  const outputDir = join(dir, 'out');
  await mkdir(inputDir, { recursive: true, mode: 0o755 });
  await mkdir(outputDir, { recursive: true });
  for (const [name, content] of Object.entries(options.inputs ?? {})) {
    await writeFile(join(inputDir, name), content, { mode: 0o644 });
  }
  const logs = { stdout: '', stderr: '' };
  const name = `tessera-int-${testId}-${counter}`;
  const { limits, inputs: _inputs, ...rest } = options;
  const result = await sut.run({
    spec: spec(['bash', '-c', script], limits),
    name,
    inputDir,
    outputDir,
    gpuAvailable: false,
    onLog: (stream, text) => (logs[stream] += text),
    ...rest,
  });
  expect(containersOfThisTest()).toEqual([]);
  return { result, ...logs, outputDir };
}

function containersOfThisTest(): string[] {
  const out = execFileSync(DOCKER_CLI, ['ps', '-a', '-q', '--filter', `label=${TEST_LABEL}=${testId}`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

beforeAll(async () => {
  const present = await docker
    .getImage(IMAGE)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (!present) {
    execFileSync(resolve(__dirname, '../../../../docker/build-images.sh'), ['toolbox'], {
      env: { ...process.env, DOCKER: DOCKER_CLI },
      stdio: 'inherit',
    });
  }
  root = await mkdtemp(join(tmpdir(), 'tessera-runner-'));
}, 300_000);

afterAll(async () => {
  await sut.removeStale();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('DockerRunner (real Docker)', () => {
  it('runs a job that reads /in and writes /out, and finds its outputs with their sha256', async () => {
    const job = await runJob(
      'tr a-z A-Z < /in/data.txt > /out/upper.txt && mkdir /out/sub && wc -c < /in/data.txt > /out/sub/count.txt',
      { inputs: { 'data.txt': 'hello tessera\n' } },
    );

    expect(job.result).toMatchObject({ exitCode: 0, outcome: 'exited' });
    expect(job.result.finishedAt.getTime()).toBeGreaterThanOrEqual(job.result.startedAt.getTime());
    const outputs = await sut.checkOutputs(job.outputDir, spec(['true']).limits);
    expect(outputs).toEqual([
      { path: 'sub/count.txt', size: 3, sha256: sha256('14\n') },
      { path: 'upper.txt', size: 14, sha256: sha256('HELLO TESSERA\n') },
    ]);
  });

  it('reports the exit of a job that ends at once', async () => {
    const job = await runJob('true');
    expect(job.result).toMatchObject({ exitCode: 0, outcome: 'exited' });
  });

  it('reports a non-zero exit with its code', async () => {
    const job = await runJob('echo failing >&2; exit 3');
    expect(job.result).toMatchObject({ exitCode: 3, outcome: 'exited' });
    expect(job.stderr).toBe('failing\n');
  });

  it('delivers stdout and stderr separately, keeping a UTF-8 character split across writes whole', async () => {
    const job = await runJob(
      `echo out-line; echo err-line >&2; printf '\\xc3'; sleep 0.3; printf '\\xa9t\\xc3\\xa9\\n'`,
    );
    expect(job.stdout).toBe('out-line\nété\n');
    expect(job.stderr).toBe('err-line\n');
  });

  it('cuts the job off the network: only loopback exists and connecting out fails', async () => {
    const job = await runJob(
      'ls /sys/class/net; if exec 3<>/dev/tcp/1.1.1.1/80; then echo CONNECTED; else echo BLOCKED; fi',
    );
    expect(job.stdout).toBe('lo\nBLOCKED\n');
    expect(job.stderr).toMatch(/Network is unreachable/);
  });

  it('keeps /, /usr and /in read-only and /tmp non-executable, while /tmp and /out are writable', async () => {
    const job = await runJob(
      'for d in / /usr /in /tmp /out; do if touch "$d/probe" 2>/dev/null; then echo "$d rw"; else echo "$d ro"; fi; done; ' +
        'cp /bin/true /tmp/t && chmod +x /tmp/t && if /tmp/t 2>/dev/null; then echo "exec ok"; else echo "exec denied"; fi',
      { inputs: { 'a.txt': 'a' } },
    );
    expect(job.stdout).toBe('/ ro\n/usr ro\n/in ro\n/tmp rw\n/out rw\nexec denied\n');
  });

  it('runs the job as uid 10001 with no capabilities and no new privileges', async () => {
    const job = await runJob('id -u; id -g; grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status');
    expect(job.stdout).toBe(
      '10001\n10001\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n',
    );
  });

  it('contains a fork bomb with the PID limit and kills it at the wall-clock limit', async () => {
    const started = Date.now();
    const job = await runJob(
      // cgroup v1 path first, then v2; the main shell stays alive so only the wall clock can end it.
      'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; ' +
        'bomb() { bomb | bomb & }; bomb; sleep 60',
      { limits: { pids: 64, timeoutSec: 4 } },
    );

    expect(job.result.outcome).toBe('timeout');
    expect(job.stdout).toBe('64\n');
    expect(job.stderr).toMatch(/fork: retry: Resource temporarily unavailable/);
    expect(Date.now() - started).toBeLessThan(15_000);
    // The host can still start processes.
    expect(spawnSync('true').status).toBe(0);
  });

  it('kills the container when the wall-clock limit passes', async () => {
    const job = await runJob('sleep 100', { limits: { timeoutSec: 2 } });
    const ranMs = job.result.finishedAt.getTime() - job.result.startedAt.getTime();

    expect(job.result).toMatchObject({ outcome: 'timeout', exitCode: 137 });
    expect(ranMs).toBeGreaterThanOrEqual(2_000);
    expect(ranMs).toBeLessThan(5_000);
  });

  it('reports oom when the job exceeds its memory limit', async () => {
    const job = await runJob('x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived', {
      limits: { memoryBytes: 32 * MIB },
    });
    expect(job.result.outcome).toBe('oom');
    expect(job.result.exitCode).not.toBe(0);
    expect(job.stdout).not.toMatch(/survived/);
  });

  it('escalates a cancel from SIGTERM to SIGKILL when the job ignores SIGTERM', async () => {
    const abort = new AbortController();
    let abortedAt = 0;
    let stdout = '';
    const job = await runJob('trap "echo got-term" TERM; echo ready; while true; do sleep 0.1; done', {
      signal: abort.signal,
      stopGraceMs: 1_500,
      onLog: (_stream, text) => {
        stdout += text;
        if (text.includes('ready') && !abortedAt) {
          abortedAt = Date.now();
          abort.abort();
        }
      },
    });
    const afterAbortMs = job.result.finishedAt.getTime() - abortedAt;

    expect(job.result).toMatchObject({ outcome: 'cancelled', exitCode: 137 });
    expect(stdout).toContain('got-term'); // SIGTERM did arrive, through tini, and was ignored
    expect(afterAbortMs).toBeGreaterThanOrEqual(1_500);
    expect(afterAbortMs).toBeLessThan(4_000);
  });

  it('stops a cancelled job that honours SIGTERM without waiting for the grace period', async () => {
    const abort = new AbortController();
    let abortedAt = 0;
    const logs: string[] = [];
    const job = await runJob(
      'trap "echo got-term; exit 143" TERM; echo ready; while true; do sleep 0.1; done',
      {
        signal: abort.signal,
        stopGraceMs: 10_000,
        onLog: (_stream, text) => {
          logs.push(text);
          if (text.includes('ready') && !abortedAt) {
            abortedAt = Date.now();
            abort.abort();
          }
        },
      },
    );

    expect(job.result).toMatchObject({ outcome: 'cancelled', exitCode: 143 });
    expect(logs.join('')).toContain('got-term');
    expect(job.result.finishedAt.getTime() - abortedAt).toBeLessThan(3_000);
  });

  it('does not start a job whose cancel came before it started', async () => {
    const job = await runJob('echo should-not-run', { signal: AbortSignal.abort() });
    expect(job.result).toMatchObject({ outcome: 'cancelled', exitCode: -1 });
    expect(job.stdout).toBe('');
  });

  it('kills a job that keeps writing past its output limit', async () => {
    const job = await runJob('i=0; while true; do head -c 1048576 /dev/zero > /out/f$i; i=$((i+1)); done', {
      limits: { outputBytes: 4 * MIB, timeoutSec: 30 },
    });
    const ranMs = job.result.finishedAt.getTime() - job.result.startedAt.getTime();

    expect(job.result).toMatchObject({ outcome: 'exited', exitCode: 137, limitExceeded: 'outputs' });
    expect(ranMs).toBeLessThan(10_000);
    await expect(sut.checkOutputs(job.outputDir, { outputBytes: 4 * MIB, outputFiles: 100 })).rejects.toThrow(
      /exceed the limit of 4 MiB/,
    );
  });

  it('refuses outputs with a symlink to /etc/passwd', async () => {
    const job = await runJob('echo ok > /out/ok.txt; ln -s /etc/passwd /out/passwd');
    expect(job.result.exitCode).toBe(0);

    const error = await sut
      .checkOutputs(job.outputDir, { outputBytes: MIB, outputFiles: 10 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error).toMatchObject({
      code: 'OUTPUT_INVALID',
      message: expect.stringMatching(/passwd is a symbolic link/),
    });
  });

  it('refuses too many and too large outputs', async () => {
    const job = await runJob(
      'for i in 1 2 3 4 5; do echo $i > /out/f$i; done; head -c 300000 /dev/zero > /out/big',
    );
    expect(job.result.exitCode).toBe(0);

    await expect(sut.checkOutputs(job.outputDir, { outputBytes: MIB, outputFiles: 3 })).rejects.toMatchObject(
      {
        code: 'OUTPUT_INVALID',
        message: expect.stringMatching(/more than 3 output files/),
      },
    );
    await expect(
      sut.checkOutputs(job.outputDir, { outputBytes: 100_000, outputFiles: 100 }),
    ).rejects.toMatchObject({ code: 'OUTPUT_INVALID', message: expect.stringMatching(/exceed the limit/) });
  });

  it('refuses a GPU task on a host without a GPU before creating a container', async () => {
    const request = {
      spec: { ...spec(['true']), gpus: 1 },
      name: `tessera-int-${testId}-gpu`,
      inputDir: root,
      outputDir: root,
      gpuAvailable: false,
      onLog: () => undefined,
    };
    await expect(sut.run(request)).rejects.toMatchObject({ code: 'SANDBOX_REFUSED' });
    expect(containersOfThisTest()).toEqual([]);
  });

  it('accepts an image that is present and reports how to get one that is missing', async () => {
    await expect(sut.ensureImage(IMAGE)).resolves.toBeUndefined();

    const error = await sut.ensureImage('tessera/no-such-image:1', { timeoutMs: 20_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect(error.code).toBe('IMAGE_UNAVAILABLE');
    expect(error.message).toMatch(/tessera\/no-such-image:1 is not on this host.*docker\/build-images\.sh/);
  });

  it('removes containers a crashed agent left behind', async () => {
    const leftover = await docker.createContainer({
      name: `tessera-int-${testId}-stale`,
      Image: IMAGE,
      Cmd: ['sleep', '100'],
      Labels: { 'tessera.managed': 'true', [TEST_LABEL]: testId },
    });
    await leftover.start();

    expect(await sut.removeStale()).toEqual([`tessera-int-${testId}-stale`]);
    expect(containersOfThisTest()).toEqual([]);
  });
});
