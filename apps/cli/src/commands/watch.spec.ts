import { eventually } from '@tessera/testing';
import { FakeCoordinator } from '../../test/fake-coordinator';
import { CapturedOutput, runTessera, tempDir } from '../../test/cli-harness';
import type { JobEventView } from '../api/operations';
import { JobEventPrinter } from './watch';

function event(over: Partial<JobEventView['job']> = {}, task: JobEventView['task'] = null): JobEventView {
  return {
    job: {
      id: 'job-1',
      name: 'shot',
      kind: 'render',
      state: 'RUNNING',
      createdAt: '2026-01-01T00:00:00Z',
      startedAt: null,
      finishedAt: null,
      error: null,
      progress: {
        tasksDone: 0,
        tasksTotal: 2,
        fraction: 0,
        itemsDone: 0,
        itemsTotal: 4,
        itemUnit: 'frames',
        etaSeconds: null,
      },
      frames: [],
      ...over,
    },
    task,
  };
}

const framePath = (n: number) => `frame-${String(n).padStart(6, '0')}.png`;
const frames = (...numbers: number[]) => numbers.map((number) => ({ number, path: framePath(number) }));

/** An ACCEPTED task event whose outputs are the given frames. */
const accepted = (index: number, name: string | null, own: number[]) => ({
  index,
  state: 'ACCEPTED',
  role: 'work',
  verifications: [],
  error: null,
  outputs: own.map((n) => ({ path: framePath(n) })),
  attempts: [{ state: 'SUCCEEDED', provider: { name, address: 'So1anaAddr3ss1111' } }],
});

describe('JobEventPrinter', () => {
  const half = {
    progress: {
      tasksDone: 1,
      tasksTotal: 2,
      fraction: 0.5,
      itemsDone: 2,
      itemsTotal: 4,
      itemUnit: 'frames',
      etaSeconds: 75,
    },
    frames: frames(1, 2),
  };

  it('prints plain lines on a pipe: one per frame, one per progress change, no escape codes', () => {
    const out = new CapturedOutput(false);
    const sut = new JobEventPrinter(out);
    sut.handle(event());
    sut.handle(event(half, accepted(0, 'gpu-box', [1, 2])));
    sut.handle(event(half)); // nothing new: no line
    // Frame 5 belongs to another task whose own event comes later: no credit to task 1.
    sut.handle(event({ ...half, frames: frames(1, 2, 3, 5) }, accepted(1, null, [3, 4])));
    sut.close();

    expect(out.text).toBe(
      [
        'job job-1 "shot": render, RUNNING',
        'RUNNING 0/4 frames (0%)',
        'frame 1 ✓ (task 0 on gpu-box)',
        'frame 2 ✓ (task 0 on gpu-box)',
        'RUNNING 2/4 frames (50%), ETA 1m 15s',
        'frame 3 ✓ (task 1 on So1a…1111)',
        'frame 5 ✓',
        '',
      ].join('\n'),
    );
  });

  it('redraws one live line on a terminal, printing frames above it, the ETA counting down', () => {
    jest.useFakeTimers();
    const out = new CapturedOutput(true, 80);
    let now = 0;
    const sut = new JobEventPrinter(out, () => now);
    sut.handle(event(half));
    now = 10_000;
    jest.advanceTimersByTime(1000);
    sut.close();
    jest.useRealTimers();

    const screens = out.text.split('\r\x1b[2K');
    expect(screens).toContain('RUNNING   [███████████████░░░░░░░░░░░░░░░]  50%  2/4 frames  ETA 1m 15s');
    expect(screens).toContain('RUNNING   [███████████████░░░░░░░░░░░░░░░]  50%  2/4 frames  ETA 1m 05s');
    expect(out.text).toContain('2 frames already done\n');
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('reports a rejected task with the reason', () => {
    const out = new CapturedOutput(false);
    const sut = new JobEventPrinter(out);
    sut.handle(event());
    sut.handle(
      event(
        {},
        {
          index: 1,
          state: 'REJECTED',
          role: 'work',
          verifications: [],
          error: { code: 'BLANK_FRAME', message: 'frame 3 is black' },
          outputs: null,
          attempts: [{ state: 'FAILED', provider: { name: 'flaky', address: 'x' } }],
        },
      ),
    );
    expect(out.text).toContain('task 1 REJECTED on flaky: BLANK_FRAME: frame 3 is black\n');
  });
});

describe('JobEventPrinter and spot-checks', () => {
  const task = (state: string, verifications: { state: string; reason: string | null }[], role = 'work') => ({
    index: 2,
    state,
    role,
    verifications,
    error: null,
    outputs: null,
    attempts: [{ state: 'SUCCEEDED', provider: { name: 'rig', address: 'x' } }],
  });

  it('says once that a task is being spot-checked, and why a check rejected its result', () => {
    const out = new CapturedOutput(false);
    const sut = new JobEventPrinter(out);
    sut.handle(event());
    const checking = task('VERIFYING', [{ state: 'PROVING', reason: null }]);
    sut.handle(event({}, checking));
    sut.handle(event({}, checking));
    // The check task's own events say nothing: the work task's do.
    sut.handle(event({}, task('ACCEPTED', [], 'check')));
    sut.handle(
      event({}, task('QUEUED', [{ state: 'FAILED', reason: '2 verifiers agree: frame-5: PSNR 12.1 dB' }])),
    );
    expect(out.text.match(/spot-checking/g)).toHaveLength(1);
    expect(out.text).toContain(
      'task 2: a spot-check rejected its result (2 verifiers agree: frame-5: PSNR 12.1 dB); re-done by another provider, not charged\n',
    );
  });
});

describe('tessera watch', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let env: NodeJS.ProcessEnv;
  let jobId: string;

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
    const blend = fake.addBlob(Buffer.from('BLENDER'), apiKey);
    const res = await fetch(`${fake.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'mutation($i: SubmitRenderJobInput!) { submitRenderJob(input: $i) { id } }',
        variables: { i: { blend, frames: '1-4' } },
      }),
    });
    jobId = ((await res.json()) as { data: { submitRenderJob: { id: string } } }).data.submitRenderJob.id;
  });
  afterEach(() => fake.stop());

  it('follows the job to COMPLETED and exits 0', async () => {
    const watching = runTessera(['watch', jobId], { env });
    await eventually(() => fake.subscriberCount(jobId) === 1);
    fake.acceptTask(jobId, 0, 'box-a');
    fake.rejectTask(jobId, 1, { code: 'BLANK_FRAME', message: 'frame 3 is black' });
    fake.acceptTask(jobId, 1, 'box-b');
    const run = await watching;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /frame 1 ✓ \(task 0 on box-a\)\nframe 2 ✓ \(task 0 on box-a\)\n[^]*task 1 REJECTED on flaky-box: BLANK_FRAME: frame 3 is black\n[^]*frame 3 ✓ \(task 1 on box-b\)\nframe 4 ✓ \(task 1 on box-b\)\n/,
    );
    expect(run.stdout).toMatch(new RegExp(`job ${jobId} COMPLETED: 4/4 frames \\(100%\\) in \\d+s\\n$`));
    await eventually(() => fake.subscriberCount(jobId) === 0);
  });

  it('resumes after the connection drops, printing the frames it missed', async () => {
    const stdout = new CapturedOutput();
    const watching = runTessera(['watch', jobId], { env, stdout });
    await eventually(() => stdout.text.includes('QUEUED 0/4 frames'));
    fake.dropConnections();
    fake.acceptTask(jobId, 0);
    fake.acceptTask(jobId, 1);
    const run = await watching;

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('frame 1 ✓\nframe 2 ✓\nframe 3 ✓\nframe 4 ✓\n');
    expect(run.stdout).toContain(`job ${jobId} COMPLETED`);
  }, 15_000);

  it('rides out a coordinator restart', async () => {
    const stdout = new CapturedOutput();
    const watching = runTessera(['watch', jobId], { env, stdout });
    await eventually(() => stdout.text.includes('QUEUED 0/4 frames'));
    await fake.restart(1000);
    await eventually(() => fake.subscriberCount(jobId) === 1, 15_000);
    fake.acceptTask(jobId, 0, 'box-a');
    fake.acceptTask(jobId, 1, 'box-a');
    const run = await watching;

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('frame 4 ✓ (task 1 on box-a)\n');
  }, 20_000);

  it('exits 1 printing the job error when the job fails', async () => {
    const watching = runTessera(['watch', jobId], { env });
    await eventually(() => fake.subscriberCount(jobId) === 1);
    fake.acceptTask(jobId, 0);
    fake.finish(jobId, 'FAILED', { code: 'TASK_FAILED', message: 'task 1 failed 3 times: Blender crashed' });
    const run = await watching;

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: job ${jobId} FAILED: TASK_FAILED: task 1 failed 3 times: Blender crashed; 2 of 4 frames were done ("tessera download ${jobId}" fetches them)\n`,
    );
  });

  it('exits 1 when the job is cancelled, and at once for a job that already ended', async () => {
    fake.finish(jobId, 'CANCELLED');
    const run = await runTessera(['watch', jobId], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: job ${jobId} CANCELLED; 0 of 4 frames were done\n`);
  });

  it('prints the subscription refusal for a job that is not yours', async () => {
    const other = fake.addAccount('someone else');
    const run = await runTessera(['watch', jobId], { env: { ...env, TESSERA_API_KEY: other } });
    expect(run).toEqual({ code: 1, stdout: '', stderr: `error: JOB_NOT_FOUND: no job ${jobId} is yours\n` });
  });

  it('says UNAUTHENTICATED when the coordinator refuses the key on the socket', async () => {
    const run = await runTessera(['watch', jobId], { env: { ...env, TESSERA_API_KEY: 'tsk_revoked' } });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: UNAUTHENTICATED: the coordinator refused the API key for live updates (API key from TESSERA_API_KEY)\n',
    });
  });

  it('stops watching on Ctrl-C (exit 130) and says the job keeps running', async () => {
    const interrupt = new AbortController();
    const watching = runTessera(['watch', jobId], { env, interrupted: interrupt.signal });
    await eventually(() => fake.subscriberCount(jobId) === 1);
    interrupt.abort();
    const run = await watching;

    expect(run.code).toBe(130);
    expect(run.stderr).toBe(
      `error: stopped watching; job ${jobId} keeps running: "tessera watch ${jobId}" to follow it again, "tessera cancel ${jobId}" to stop it\n`,
    );
    await eventually(() => fake.subscriberCount(jobId) === 0);
  });
});

describe('tessera watch without a coordinator', () => {
  it('says which coordinator it could not reach', async () => {
    const fake = await FakeCoordinator.start();
    const url = fake.url;
    await fake.stop();
    const run = await runTessera(['watch', 'job-1'], {
      env: { TESSERA_URL: url, TESSERA_API_KEY: 'k' },
      cwd: tempDir(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: cannot reach the coordinator at ${url} (ECONNREFUSED): is it running? Set --url or TESSERA_URL\n`,
    );
  });
});
