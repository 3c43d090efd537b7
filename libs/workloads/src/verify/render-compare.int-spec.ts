import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { DockerRunner } from '@tessera/sandbox';
import { compareRender, decodePng, RenderComparison } from './image-compare';
import { DEFAULT_THRESHOLDS } from './thresholds';
import { sampleRegion } from './sampling';

// Medium test: the render comparator against real Blender frames. The demo scene (4 frames,
// 160×120, 16 samples) is rendered in the provider's sandbox: frame 2 twice as the verifier and an
// honest provider would (identical: accept), then the wrong work a cheating or broken provider
// could return (4 samples, another seed, another frame: reject), and a region render against the
// same box of the full frame (accept). The measured PSNR/SSIM are printed; thresholds.ts cites
// them. About 10 s once the image exists.

const IMAGE = 'tessera/blender:3.4';
const MIB = 1024 * 1024;
const REPO = resolve(__dirname, '../../../..');
const testId = `verify-${process.pid}`;
/** render.py's --region X0,Y0,X1,Y1: an odd-sized box off the centre, across several objects. */
const BOX = { x: 23, y: 17, width: 96, height: 84 };

const runner = new DockerRunner(new Docker(), { labels: { 'tessera.test': testId }, outputWatchMs: 0 });
let root: string;
let counter = 0;
let blend: string;
const measured: Record<string, RenderComparison> = {};

/** Runs `command` in the sandbox with the scene (when made) at /in/scene.blend; returns /out's host path. */
async function sandbox(command: string[]): Promise<string> {
  const dir = join(root, `run-${++counter}`);
  const inputDir = join(dir, 'in');
  const out = join(dir, 'out');
  await mkdir(inputDir, { recursive: true, mode: 0o755 });
  await mkdir(out);
  if (blend) {
    await copyFile(blend, join(inputDir, 'scene.blend'));
    await chmod(join(inputDir, 'scene.blend'), 0o644);
  }
  let log = '';
  const result = await runner.run({
    spec: {
      image: IMAGE,
      command,
      env: {},
      inputs: [],
      limits: {
        cpus: 2,
        memoryBytes: 2048 * MIB,
        pids: 256,
        timeoutSec: 60,
        tmpBytes: 256 * MIB,
        outputBytes: 64 * MIB,
        outputFiles: 10,
      },
      gpus: 0,
    },
    name: `tessera-int-${testId}-${counter}`,
    inputDir,
    outputDir: out,
    gpuAvailable: false,
    onLog: (_stream, text) => {
      log += text;
    },
  });
  if (result.outcome !== 'exited' || result.exitCode !== 0)
    throw new Error(`${command.join(' ')}: ${result.outcome} ${result.exitCode}\n${log.slice(-2000)}`);
  return out;
}

/** Renders one frame of the demo scene with render.py; returns the PNG's bytes. */
async function render(frame: number, samples: number, seed: number, ...more: string[]): Promise<Buffer> {
  const out = await sandbox([
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
    String(frame),
    '--resolution',
    '160x120',
    '--samples',
    String(samples),
    '--seed',
    String(seed),
    '--format',
    'PNG',
    '--thumb-width',
    '0',
    '--out',
    '/out',
    ...more,
  ]);
  const files = (await readdir(out)).filter((f) => f.endsWith('.png'));
  expect(files).toEqual([`frame-${String(frame).padStart(6, '0')}.png`]);
  return readFile(join(out, files[0]));
}

function measure(name: string, result: RenderComparison): RenderComparison {
  measured[name] = result;
  return result;
}

let reference: Buffer;
let honest: Buffer;
const wrong: Record<string, Buffer> = {};
let region: Buffer;

beforeAll(async () => {
  // Cheap when the image is up to date (it hashes the build context); rebuilds after script edits.
  execFileSync(join(REPO, 'docker/build-images.sh'), ['blender'], { stdio: 'inherit' });
  root = await mkdtemp(join(tmpdir(), 'tessera-verify-'));
  await chmod(root, 0o755); // the sandbox user reads the inputs
  const made = await sandbox([
    'blender',
    '-b',
    '--factory-startup',
    '-P',
    '/opt/tessera/demo_scene.py',
    '--',
    '/out/scene.blend',
    '--frames',
    '4',
    '--resolution',
    '160x120',
    '--samples',
    '16',
  ]);
  blend = join(root, 'scene.blend');
  await copyFile(join(made, 'scene.blend'), blend);
  reference = await render(2, 16, 0);
  honest = await render(2, 16, 0);
  wrong['4 samples instead of 16'] = await render(2, 4, 0);
  wrong['seed 1 instead of 0'] = await render(2, 16, 1);
  wrong['frame 3 instead of 2'] = await render(3, 16, 0);
  const { x, y, width, height } = BOX;
  region = await render(2, 16, 0, '--region', `${x},${y},${x + width},${y + height}`);
}, 90_000);

afterAll(async () => {
  const rows = Object.entries(measured).map(
    ([name, r]) =>
      `  ${name.padEnd(48)} ${r.verdict.padEnd(12)} PSNR ${String(r.psnr?.toFixed(2)).padStart(8)} dB  SSIM ${r.ssim?.toFixed(4)}`,
  );
  if (rows.length)
    console.log(`render comparisons against frame 2 (16 samples, seed 0):\n${rows.join('\n')}`);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('compareRender on Blender frames', () => {
  it('accepts a second render of the same frame: identical pixels, PSNR Infinity', () => {
    const r = measure('the same frame again', compareRender(honest, reference));
    expect(r).toMatchObject({ verdict: 'accept', psnr: Infinity, ssim: 1 });
  });

  it.each(['4 samples instead of 16', 'seed 1 instead of 0', 'frame 3 instead of 2'])(
    'rejects a render with %s',
    (name) => {
      const r = measure(name, compareRender(wrong[name], reference));
      expect(r.verdict).toBe('reject');
      // By the PSNR bound itself: SSIM alone would not do (Golem accepted above 0.92).
      expect(r.psnr).toBeLessThan(DEFAULT_THRESHOLDS.render.rejectPsnrDb);
    },
  );

  it('accepts a region render against the same box of the full frame', () => {
    expect(decodePng(region)).toMatchObject({ width: BOX.width, height: BOX.height });
    const r = measure(
      `region ${BOX.width}×${BOX.height} vs the box of the full frame`,
      compareRender({ frame: reference, region: BOX }, region),
    );
    expect(r).toMatchObject({ verdict: 'accept', psnr: Infinity, ssim: 1 });
  });

  it('rejects the region against the box one pixel to the right, and against the box of frame 3', () => {
    const shifted = measure(
      'region vs the box one pixel to the right',
      compareRender({ frame: reference, region: { ...BOX, x: BOX.x + 1 } }, region),
    );
    expect(shifted.verdict).toBe('reject');
    const other = measure(
      'region vs the same box of frame 3',
      compareRender({ frame: wrong['frame 3 instead of 2'], region: BOX }, region),
    );
    expect(other.verdict).toBe('reject');
  });

  it('renders a spot-check’s boxes with --regions, each pixel-identical to the box of its full frame', async () => {
    // The boxes a spot-check draws (sampleRegion), plus the frame's edges: every one must come out
    // the exact size and pixels (Blender keeps the border as a float; an off-by-one box fails).
    const boxes = [
      ...Array.from({ length: 12 }, (_, i) => ({
        frame: i % 2 ? 3 : 2,
        ...sampleRegion(createHash('sha256').update(`box ${i}`).digest(), 160, 120),
      })),
      // 63 / 120 as a 32-bit float times 120 truncates to 62: these two boxes were a pixel short.
      { frame: 2, x: 10, y: 20, width: 40, height: 37 },
      { frame: 3, x: 60, y: 57, width: 40, height: 40 },
      { frame: 2, x: 0, y: 0, width: 33, height: 41 },
      { frame: 3, x: 127, y: 87, width: 33, height: 33 },
      { frame: 2, x: 0, y: 0, width: 160, height: 120 },
    ];
    const out = await sandbox([
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
      '2,3',
      '--resolution',
      '160x120',
      '--samples',
      '16',
      '--seed',
      '0',
      '--format',
      'PNG',
      '--thumb-width',
      '0',
      '--out',
      '/out',
      '--regions',
      boxes.map((b) => `${b.frame}:${b.x},${b.y},${b.x + b.width},${b.y + b.height}`).join(';'),
    ]);
    expect((await readdir(join(out, 'regions'))).length).toBe(boxes.length);
    for (const [i, b] of boxes.entries()) {
      const full = b.frame === 2 ? reference : wrong['frame 3 instead of 2'];
      const file = join(out, 'regions', `${String(i).padStart(3, '0')}.png`);
      const r = compareRender({ frame: full, region: b }, await readFile(file));
      expect({ box: b, verdict: r.verdict, psnr: r.psnr }).toEqual({
        box: b,
        verdict: 'accept',
        psnr: Infinity,
      });
    }
  }, 60_000);

  it('rejects a full frame against a region render with the size mismatch as the reason', () => {
    expect(compareRender(reference, region)).toEqual({
      verdict: 'reject',
      psnr: null,
      ssim: null,
      reason: `SIZE_MISMATCH: the claimed image is 160×120 but the reference image is ${BOX.width}×${BOX.height}`,
    });
  });
});
