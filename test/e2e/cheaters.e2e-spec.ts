import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Lease } from '@tessera/protocol';
import { DEFAULT_RENDER_OPTIONS, frameFileName } from '@tessera/workloads';
import {
  AgentProcess,
  Cheat,
  CheatingProvider,
  CoordinatorProcess,
  createAccount,
  createTestDatabase,
  downloadBlob,
  fetchJob,
  gql,
  spawnAgent,
  spawnCoordinator,
  TestDatabase,
  uploadBlob,
  waitForJobEnd,
} from '@tessera/testing';

/**
 * Adversarial tests (the verification issue): providers that speak the real protocol but cheat,
 * each against a real render job with two honest agents (real processes rendering in the real
 * Blender image) as the only possible verifiers. Every cheat must be caught, the task re-done by
 * someone honest, the customer's frames pixel-identical to Blender run directly, and no honest
 * provider ever flagged.
 */

const W = 160;
const H = 120;
const SAMPLES = 8;
const sandbox = [
  '--network',
  'none',
  '--read-only',
  '--tmpfs',
  '/tmp:rw,size=512m',
  '--cap-drop',
  'ALL',
  '--user',
  '10001:10001',
  '-e',
  'HOME=/tmp',
];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface JobView {
  id: string;
  state: string;
  frames: { number: number; sha256: string }[];
  checks: { total: number; passed: number; failed: number; pending: number };
  tasks: {
    index: number;
    state: string;
    attempts: { state: string; failureCode: string | null; provider: { address: string } }[];
    verifications: { state: string; reason: string | null; providerId: string }[];
  }[];
}
const JOB = `id state frames { number sha256 } checks { total passed failed pending }
  tasks { index state attempts { state failureCode provider { address } } verifications { state reason providerId } }`;

describe('cheating providers are caught by spot-checks', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let honest: AgentProcess[];
  let apiKey: string;
  let work: string;
  let sceneSha: string;
  let scenePath: string;
  /** frame → { png, thumb } rendered directly with the job's settings (seed 0) and variants. */
  const reference = new Map<number, { png: Buffer; thumb: Buffer }>();
  const fewerSamples = new Map<number, Buffer>();
  const otherSeed = new Map<number, Buffer>();
  /** The frames of an earlier job (seed 5), as a provider that did it would have kept them. */
  const earlierJob = new Map<number, Buffer>();

  function blender(
    frames: number[],
    opts: { samples: number; seed: number },
  ): Map<number, { png: Buffer; thumb: Buffer }> {
    const out = mkdtempSync(join(work, 'out-'));
    chmodSync(out, 0o777);
    execFileSync('docker', [
      'run',
      '--rm',
      ...sandbox,
      '-v',
      `${work}/scene:/in:ro`,
      '-v',
      `${out}:/out`,
      DEFAULT_RENDER_OPTIONS.image,
      'blender',
      '-b',
      '-Y',
      '--factory-startup',
      '/in/scene.blend',
      '--python-exit-code',
      '3',
      '-t',
      '2',
      '-P',
      '/opt/tessera/render.py',
      '--',
      '--frames',
      frames.join(','),
      '--resolution',
      `${W}x${H}`,
      '--samples',
      String(opts.samples),
      '--seed',
      String(opts.seed),
      '--format',
      'PNG',
      '--out',
      '/out',
    ]);
    return new Map(
      frames.map((f) => [
        f,
        {
          png: readFileSync(join(out, frameFileName(f, 'PNG'))),
          thumb: readFileSync(join(out, 'thumbs', frameFileName(f, 'PNG'))),
        },
      ]),
    );
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-cheaters-'));
    chmodSync(work, 0o777);
    mkdirSync(join(work, 'scene'));
    chmodSync(join(work, 'scene'), 0o777);
    execFileSync('docker', [
      'run',
      '--rm',
      ...sandbox,
      '-v',
      `${work}/scene:/out`,
      DEFAULT_RENDER_OPTIONS.image,
      'blender',
      '-b',
      '--factory-startup',
      '-P',
      '/opt/tessera/demo_scene.py',
      '--',
      '/out/scene.blend',
      '--frames',
      '6',
      '--resolution',
      `${W}x${H}`,
      '--samples',
      String(SAMPLES),
    ]);
    scenePath = join(work, 'scene', 'scene.blend');
    const scene = readFileSync(scenePath);
    sceneSha = sha256(scene);
    for (const [f, r] of blender([1, 2, 3, 4, 5, 6], { samples: SAMPLES, seed: 0 })) reference.set(f, r);
    for (const [f, r] of blender([1, 2, 3], { samples: 2, seed: 0 })) fewerSamples.set(f, r.png);
    for (const [f, r] of blender([1, 2, 3], { samples: SAMPLES, seed: 7 })) otherSeed.set(f, r.png);

    db = await createTestDatabase('cheaters_e2e');
    coordinator = await spawnCoordinator({
      DATABASE_URL: db.url,
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_LEASE_TTL_SEC: '60',
      TESSERA_HEARTBEAT_SEC: '2',
      TESSERA_RENDER_PRICE: '0.001',
      // Every new provider (each cheater) is checked on its first task; the honest agents' rate
      // then halves with each clean check, so the suite does not re-render every honest chunk.
      TESSERA_CHECK_PROBATION: '1',
      TESSERA_CHECK_HALF_LIFE: '1',
    });
    honest = await Promise.all(
      ['honest-a', 'honest-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
    ({ apiKey } = await createAccount(coordinator.url, 'artist'));
    expect((await uploadBlob(coordinator.url, scene, apiKey, sceneSha)).status).toBe(201);
  }, 300_000);

  afterAll(async () => {
    await Promise.all((honest ?? []).map((a) => a.stop('SIGTERM', 30_000)));
    await coordinator?.stop();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function submit(input: Record<string, unknown>): Promise<string> {
    const data = await gql<{ submitRenderJob: { id: string } }>(
      coordinator.url,
      `mutation($input: SubmitRenderJobInput!) { submitRenderJob(input: $input) { id } }`,
      {
        input: {
          blend: sceneSha,
          resolution: `${W}x${H}`,
          samples: SAMPLES,
          seed: 0,
          frames: '1-3',
          chunkSize: 1,
          ...input,
        },
      },
      apiKey,
    );
    return data.submitRenderJob.id;
  }

  const finished = (id: string) =>
    waitForJobEnd<JobView>(coordinator.url, apiKey, id, JOB, { timeoutMs: 240_000, pollMs: 500 });

  /** Every frame the customer got is the frame Blender renders with the job's settings. */
  async function expectHonestFrames(
    view: JobView,
    expected: Map<number, { png: Buffer }> = reference,
  ): Promise<void> {
    for (const frame of view.frames) {
      const { bytes } = await downloadBlob(coordinator.url, frame.sha256, apiKey);
      const ours = PNG.sync.read(bytes);
      const theirs = PNG.sync.read((expected.get(frame.number) as { png: Buffer }).png);
      expect({ frame: frame.number, identical: Buffer.compare(ours.data, theirs.data) === 0 }).toEqual({
        frame: frame.number,
        identical: true,
      });
    }
  }

  /** Frames and thumbnails for the lease's frames, from `pick` (the cheat), as a chunk's outputs. */
  function frames(pick: (frame: number, index: number) => Buffer): Cheat {
    return async (lease: Lease) => {
      const list = lease.task.params.frames as number[];
      return {
        files: list.flatMap((f, i) => [
          { path: frameFileName(f, 'PNG'), data: pick(f, i) },
          { path: `thumbs/${frameFileName(f, 'PNG')}`, data: (reference.get(f) as { thumb: Buffer }).thumb },
        ]),
      };
    };
  }

  function solid(make: (i: number) => number): Buffer {
    const png = new PNG({ width: W, height: H });
    for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : make(i);
    return PNG.sync.write(png);
  }

  /**
   * Runs one cheat: the cheater's claim waits before the job exists, so when the job's three tasks
   * are queued it gets one of them (the two honest agents take the others); then the job must end
   * with honest frames only and the cheater's attempt rejected.
   */
  async function caught(
    cheat: Cheat,
    opts: { reason: RegExp; job?: Record<string, unknown>; cheater?: CheatingProvider } = { reason: /./ },
  ): Promise<{
    view: JobView;
    cheater: CheatingProvider;
    delivered: Awaited<ReturnType<CheatingProvider['deliver']>>;
  }> {
    const cheater = opts.cheater ?? (await CheatingProvider.connect(coordinator.url));
    try {
      const leased = cheater.nextLease();
      await new Promise((r) => setTimeout(r, 300)); // the claim is waiting on the coordinator
      const id = await submit(opts.job ?? {});
      const lease = await leased;
      expect(lease.jobId).toBe(id);
      expect(lease.task.params.check).toBeUndefined();
      const delivered = await cheater.deliver(lease, cheat);
      const view = await finished(id);
      expect(view.state).toBe('COMPLETED');
      await expectHonestFrames(view);
      const mine = view.tasks.flatMap((t) =>
        t.attempts.filter((a) => a.provider.address === cheater.address),
      );
      expect(mine).toHaveLength(1);
      expect(mine[0].state).toMatch(/REJECTED|FAILED/);
      const failed = view.tasks
        .flatMap((t) => t.verifications)
        .filter((v) => v.providerId === cheater.providerId);
      if (mine[0].state === 'REJECTED')
        expect(failed).toEqual([
          expect.objectContaining({ state: 'FAILED', reason: expect.stringMatching(opts.reason) }),
        ]);
      return { view, cheater, delivered };
    } finally {
      cheater.close();
    }
  }

  it('checks honest providers too and never flags them: an honest job completes with every check passed', async () => {
    const id = await submit({ seed: 5 });
    const view = await finished(id);
    expect(view.state).toBe('COMPLETED');
    // New providers are on probation: every task was re-rendered in part by the other agent.
    expect(view.checks).toEqual({ total: 3, passed: 3, failed: 0, pending: 0 });
    for (const f of view.frames)
      earlierJob.set(f.number, (await downloadBlob(coordinator.url, f.sha256, apiKey)).bytes);
  });

  it('catches black frames', async () => {
    await caught(
      frames(() => solid(() => 0)),
      { reason: /PSNR/ },
    );
  });

  it('catches noise frames', async () => {
    await caught(
      frames(() => solid(() => randomBytes(1)[0])),
      { reason: /PSNR/ },
    );
  });

  it('catches a render with fewer samples than paid for', async () => {
    await caught(
      frames((f) => fewerSamples.get(f) as Buffer),
      { reason: /PSNR/ },
    );
  });

  it('catches a render with another seed', async () => {
    await caught(
      frames((f) => otherSeed.get(f) as Buffer),
      { reason: /PSNR|SSIM/ },
    );
  });

  it('catches another frame passed off as the one asked for', async () => {
    await caught(
      frames((f) => (reference.get(f + 1) as { png: Buffer }).png),
      { reason: /PSNR/ },
    );
  });

  it('catches a stale result reused from an earlier job', async () => {
    expect(earlierJob.size).toBe(3);
    await caught(
      frames((f) => earlierJob.get(f) as Buffer),
      { reason: /PSNR|SSIM/ },
    );
  });

  it("catches a copy of another provider's output", async () => {
    // It waits until an honest provider's frame of the same job is accepted and delivers a copy.
    await caught(
      async (lease) => {
        const own = (lease.task.params.frames as number[])[0];
        let copy: Buffer | undefined;
        while (!copy) {
          const view = await fetchJob<JobView>(coordinator.url, apiKey, lease.jobId, JOB);
          const other = view.frames.find((f) => f.number !== own);
          if (other) copy = (await downloadBlob(coordinator.url, other.sha256, apiKey)).bytes;
          else await new Promise((r) => setTimeout(r, 250));
        }
        return frames(() => copy as Buffer)(lease);
      },
      { reason: /PSNR|SSIM/ },
    );
  });

  it('catches correct output for only some of the items (every frame of a short chunk is sampled)', async () => {
    await caught(
      frames((f, i) => (i === 1 ? solid(() => 30) : (reference.get(f) as { png: Buffer }).png)),
      {
        job: { frames: '1-6', chunkSize: 2 },
        reason: /PSNR/,
      },
    );
  });

  it('catches a commitment that does not match the items later revealed (ROOT_MISMATCH)', async () => {
    const { delivered } = await caught(
      async (lease) => ({
        ...(await frames((f) => (reference.get(f) as { png: Buffer }).png)(lease)),
        committedItems: [sha256(Buffer.from('a frame it never uploaded'))],
      }),
      { reason: /^ROOT_MISMATCH/ },
    );
    expect(delivered.proof).toMatchObject({ type: 'error', code: 'OUTPUT_INVALID' });
  });

  it('refuses "done" without running anything at once, before any spot-check', async () => {
    const { delivered, view } = await caught(async () => ({ files: [], noCommitment: true }), {
      reason: /./,
    });
    expect(delivered.completed).toMatchObject({ type: 'error', code: 'OUTPUT_INVALID' });
    expect(
      view.tasks.flatMap((t) => t.attempts).find((a) => a.failureCode === 'OUTPUT_INVALID'),
    ).toBeDefined();
  });

  it('never flagged an honest provider: their records show only passed checks', async () => {
    const records = await Promise.all(
      honest.map(
        async (a) =>
          (
            await gql<{ provider: { record: { checksPassed: number; checksFailed: number } } }>(
              coordinator.url,
              `query($id: ID!) { provider(id: $id) { record { checksPassed checksFailed } } }`,
              { id: a.address },
            )
          ).provider.record,
      ),
    );
    for (const r of records) {
      expect(r.checksFailed).toBe(0);
      expect(r.checksPassed).toBeGreaterThanOrEqual(2);
    }
    writeFileSync(join(work, 'records.json'), JSON.stringify(records));
  });
});
