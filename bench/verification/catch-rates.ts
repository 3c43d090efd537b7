/**
 * Per-check catch rates with the real comparators on real outputs, and honest checks done as a
 * verifier does them (every reject of those is a false positive).
 *
 * A check here is what the coordinator runs: the kind's own `sampleCheck` draws the samples from a
 * fresh random seed, the verifier's re-execution is produced the way a check task produces it, and
 * the kind's own `compareCheck` decides (default thresholds), on the provider's claimed outputs.
 *
 * - render: a chunk of frames 1–4 of the demo scene (320×240, 16 samples). The provider's frames
 *   are a full render; the verifier's are `render.py --regions` border renders of each check's
 *   boxes, many checks per Blender run (a region equals the same box of a full render, so the
 *   batching changes nothing but start-ups).
 * - inference: a shard of BENCH_ROWS real text lines through PP-OCRv4. The verifier runs each
 *   check's sampled rows as a shard of their own; one container run holds every check, each in a
 *   batch of its own whose unused slots are rows that fail (the worker computes a failed row as a
 *   zero tensor in its slot, exactly as it pads a check shard's partial batch).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import type { OutputFile } from '@tessera/protocol';
import {
  generateTextLines,
  OCR_LABELS_PATH,
  OCR_MODEL_PATH,
  OCR_MODEL_SETTINGS,
  TextLine,
} from '@tessera/testing';
import {
  CheckOutcome,
  CheckSample,
  DEFAULT_INFERENCE_OPTIONS,
  DEFAULT_RENDER_OPTIONS,
  DEFAULT_THRESHOLDS,
  frameFileName,
  InferenceWorkload,
  RenderWorkload,
  TaskSpec,
} from '@tessera/workloads';
import { median, round } from '../lib/stats';

export interface Catch {
  case: string;
  checks: number;
  rejected: number;
  inconclusive: number;
  /** Per-check catch rate: rejected ÷ checks. */
  q: number;
  example: string;
}

export interface KindCatches {
  honest: Catch;
  cheats: Catch[];
}

export interface RenderCatches extends KindCatches {
  timing: {
    /** Blender start-up (process, scene load), from a border-render run's wall time less its regions. */
    startupSec: number;
    frameSec: number;
    regionSec: number;
    regionsRendered: number;
    regionRuns: number;
    regionRunsWallSec: number;
  };
}

export interface InferenceCatches extends KindCatches {
  lines: TextLine[];
  /** The provider's outputs.jsonl lines for the shard (row i = line i). */
  providerLines: string[];
  timing: {
    /** Container, Node and model load: the provider's run less its batches. */
    startupSec: number;
    msPerRow: number;
    checkRows: number;
    checkRunWallSec: number;
  };
}

const BLENDER = 'tessera/blender:3.4';
const SANDBOX = [
  '--network',
  'none',
  '--read-only',
  '--tmpfs',
  '/tmp:rw,size=256m',
  '--cap-drop',
  'ALL',
  '--user',
  '10001:10001',
  '-e',
  'HOME=/tmp',
];
const WIDTH = 320;
const HEIGHT = 240;
const SAMPLES = 16;
const CHUNK = [1, 2, 3, 4];

/** `docker run` in the agent's sandbox; returns stdout, stderr and the wall time, or throws with stderr. */
function docker(args: string[]): { stdout: string; stderr: string; sec: number } {
  const t0 = performance.now();
  const run = spawnSync('docker', ['run', '--rm', ...SANDBOX, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 2 ** 20,
  });
  if (run.status !== 0)
    throw new Error(
      `docker run ${args.slice(-12).join(' ')} failed (${run.status}): ${run.stderr.slice(-2000)}`,
    );
  return { stdout: run.stdout, stderr: run.stderr, sec: (performance.now() - t0) / 1000 };
}

/** A reader over in-memory files, as the coordinator's blob reader is over its store. */
class Files {
  private readonly bytes = new Map<string, Buffer>();

  add(path: string, data: Buffer): OutputFile {
    const sha256 = createHash('sha256').update(data).digest('hex');
    this.bytes.set(sha256, data);
    return { path, sha256, size: data.length };
  }

  read = async (f: OutputFile, max?: number): Promise<Buffer> => {
    const data = this.bytes.get(f.sha256);
    if (!data) throw new Error(`no file ${f.path}`);
    return max === undefined ? data : data.subarray(0, max);
  };
}

/** Tallies outcomes of one case; the example is the first reject's (else the first sample's) figures. */
class Tally {
  rejected = 0;
  inconclusive = 0;
  checks = 0;
  example = '';

  constructor(readonly name: string) {}

  add(o: CheckOutcome, describe: (o: CheckOutcome) => string): void {
    this.checks++;
    if (o.verdict === 'reject') this.rejected++;
    if (o.verdict === 'inconclusive') this.inconclusive++;
    if (!this.example || (o.verdict !== 'accept' && this.rejected + this.inconclusive === 1))
      this.example = describe(o);
  }

  result(): Catch {
    return {
      case: this.name,
      checks: this.checks,
      rejected: this.rejected,
      inconclusive: this.inconclusive,
      q: this.checks ? this.rejected / this.checks : 0,
      example: this.example,
    };
  }
}

function renderArgs(work: string, out: string, extra: string[]): string[] {
  return [
    '-v',
    `${work}/scene:/in:ro`,
    '-v',
    `${out}:/out`,
    BLENDER,
    'blender',
    '-b',
    '-Y',
    '--factory-startup',
    '/in/scene.blend',
    '--python-exit-code',
    '3',
    '-P',
    '/opt/tessera/render.py',
    '--',
    '--format',
    'PNG',
    '--thumb-width',
    '0',
    '--out',
    '/out',
    ...extra,
  ];
}

function outDir(work: string): string {
  const out = mkdtempSync(join(work, 'out-'));
  chmodSync(out, 0o777);
  return out;
}

/** Full frames as a provider renders them: frame → PNG bytes, plus per-frame seconds. */
function renderFrames(
  work: string,
  frames: number[],
  samples: number,
  seed: number,
): { png: Map<number, Buffer>; frameSec: number[]; wallSec: number } {
  const out = outDir(work);
  const run = docker(
    renderArgs(work, out, [
      '--frames',
      frames.join(','),
      '--samples',
      String(samples),
      '--seed',
      String(seed),
    ]),
  );
  const png = new Map(frames.map((f) => [f, readFileSync(join(out, frameFileName(f, 'PNG')))]));
  const frameSec = [...run.stdout.matchAll(/^TESSERA_FRAME_DONE \d+ ([\d.]+)$/gm)].map((m) => Number(m[1]));
  return { png, frameSec, wallSec: run.sec };
}

function encode(width: number, height: number, pixel: (i: number) => number): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : pixel(i);
  return PNG.sync.write(png);
}

export async function renderCatches(
  work: string,
  opts: { checks: number; regionsPerCheck: number; regionsPerRun: number },
): Promise<RenderCatches> {
  mkdirSync(join(work, 'scene'));
  chmodSync(join(work, 'scene'), 0o777);
  docker([
    '-v',
    `${work}/scene:/out`,
    BLENDER,
    'blender',
    '-b',
    '--factory-startup',
    '-P',
    '/opt/tessera/demo_scene.py',
    '--',
    '/out/scene.blend',
    '--frames',
    String(CHUNK.length + 1),
    '--resolution',
    `${WIDTH}x${HEIGHT}`,
    '--samples',
    String(SAMPLES),
  ]);
  const workload = new RenderWorkload({ ...DEFAULT_RENDER_OPTIONS, checkRegions: opts.regionsPerCheck });
  const task: TaskSpec = {
    index: 0,
    params: {
      frames: CHUNK,
      width: WIDTH,
      height: HEIGHT,
      samples: SAMPLES,
      format: 'PNG',
      seed: 0,
      device: 'CPU',
      frameTimeoutSec: 600,
    },
    image: BLENDER,
    inputs: [],
    timeoutSec: 600,
    requirements: { cpus: 1, memoryBytes: 2 ** 30, gpus: 0, vramBytes: 0 },
  };

  // What providers deliver for the chunk: honest frames, and five ways of not doing the work.
  const honest = renderFrames(work, [...CHUNK, CHUNK.length + 1], SAMPLES, 0);
  const fewer = renderFrames(work, CHUNK, 4, 0);
  const seed7 = renderFrames(work, CHUNK, SAMPLES, 7);
  const black = encode(WIDTH, HEIGHT, () => 0);
  const files = new Files();
  const claimed = (png: (frame: number) => Buffer): OutputFile[] =>
    CHUNK.map((f) => files.add(frameFileName(f, 'PNG'), png(f)));
  const cases: [string, OutputFile[]][] = [
    ['honest re-render', claimed((f) => honest.png.get(f) as Buffer)],
    ['black frame', claimed(() => black)],
    ['noise frame', claimed(() => encode(WIDTH, HEIGHT, () => randomBytes(1)[0]))],
    ['4 samples instead of 16', claimed((f) => fewer.png.get(f) as Buffer)],
    ['another seed', claimed((f) => seed7.png.get(f) as Buffer)],
    ['another frame (or a stale or copied result)', claimed((f) => honest.png.get(f + 1) as Buffer)],
  ];

  // The verifier's side: every check's regions, border-rendered in batches of regionsPerRun.
  const checks = Array.from({ length: opts.checks }, () =>
    workload.sampleCheck(task, CHUNK.length, randomBytes(32)),
  );
  const boxes = checks.flatMap((samples) =>
    samples.map((s) => {
      const r = s.region as NonNullable<CheckSample['region']>;
      return `${CHUNK[s.item]}:${r.x},${r.y},${r.x + r.width},${r.y + r.height}`;
    }),
  );
  const regionPngs: Buffer[] = [];
  const regionSec: number[] = [];
  const startups: number[] = [];
  let regionRunsWallSec = 0;
  let runs = 0;
  for (let first = 0; first < boxes.length; first += opts.regionsPerRun) {
    const batch = boxes.slice(first, first + opts.regionsPerRun);
    const out = outDir(work);
    const run = docker(
      renderArgs(work, out, [
        '--frames',
        CHUNK.join(','),
        '--samples',
        String(SAMPLES),
        '--seed',
        '0',
        '--regions',
        batch.join(';'),
      ]),
    );
    runs++;
    regionRunsWallSec += run.sec;
    const secs = [...run.stdout.matchAll(/^TESSERA_REGION_DONE \d+ \d+ ([\d.]+)$/gm)].map((m) =>
      Number(m[1]),
    );
    regionSec.push(...secs);
    startups.push(run.sec - secs.reduce((a, b) => a + b, 0));
    for (let i = 0; i < batch.length; i++)
      regionPngs.push(readFileSync(join(out, 'regions', `${String(i).padStart(3, '0')}.png`)));
    process.stdout.write(`  render: ${first + batch.length}/${boxes.length} regions re-rendered\n`);
  }

  const tallies = cases.map(([name]) => new Tally(name));
  const describe = (o: CheckOutcome) => {
    const s =
      o.samples.find((x) => x.verdict === 'reject') ??
      o.samples.find((x) => x.verdict === 'inconclusive') ??
      o.samples[0];
    const psnr = s.psnr === Infinity ? '∞' : s.psnr === null || s.psnr === undefined ? '-' : round(s.psnr, 1);
    return `PSNR ${psnr} dB, SSIM ${s.ssim === null || s.ssim === undefined ? '-' : round(s.ssim, 3)}`;
  };
  let next = 0;
  for (const samples of checks) {
    const reference = samples.map((_, r) =>
      files.add(`regions/${String(r).padStart(3, '0')}.png`, regionPngs[next + r]),
    );
    next += samples.length;
    for (const [i, [, outputs]] of cases.entries()) {
      const outcome = await workload.compareCheck(
        task,
        outputs,
        samples,
        reference,
        files.read,
        DEFAULT_THRESHOLDS,
      );
      tallies[i].add(outcome, describe);
    }
  }
  const [honestTally, ...cheats] = tallies.map((t) => t.result());
  return {
    honest: honestTally,
    cheats,
    timing: {
      startupSec: round(median(startups), 2),
      frameSec: round(median(honest.frameSec), 3),
      regionSec: round(median(regionSec), 3),
      regionsRendered: regionSec.length,
      regionRuns: runs,
      regionRunsWallSec: round(regionRunsWallSec, 1),
    },
  };
}

export async function inferenceCatches(
  work: string,
  opts: { rows: number; checks: number; rowsPerCheck: number },
): Promise<InferenceCatches> {
  const lines = generateTextLines(join(work, 'lines'), opts.rows, 5);
  const workload = new InferenceWorkload({ ...DEFAULT_INFERENCE_OPTIONS, checkRows: opts.rowsPerCheck });
  const batchSize = OCR_MODEL_SETTINGS.batchSize;
  const taskOf = (rows: number): TaskSpec => ({
    index: 0,
    params: {
      firstRow: 0,
      rows,
      batchSize,
      device: 'CPU',
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
      outputs: [{ name: 'softmax_11.tmp_0', type: 'float32', dims: [-1, -1, 6625] }],
      preprocess: { type: 'image', ...OCR_MODEL_SETTINGS.preprocess },
      postprocess: { ...OCR_MODEL_SETTINGS.postprocess, type: 'ctc_greedy' },
    },
    image: DEFAULT_INFERENCE_OPTIONS.image,
    inputs: [],
    timeoutSec: 3600,
    requirements: { cpus: 1, memoryBytes: 2 ** 30, gpus: 0, vramBytes: 0 },
  });
  const dir = join(work, 'infer');
  mkdirSync(join(dir, 'in', 'images'), { recursive: true });
  copyFileSync(OCR_MODEL_PATH, join(dir, 'in', 'model.onnx'));
  copyFileSync(OCR_LABELS_PATH, join(dir, 'in', 'labels.txt'));
  for (const l of lines) writeFileSync(join(dir, 'in', 'images', l.sha256), l.png);
  const rowLine = (i: number) => JSON.stringify({ id: i, image: `images/${lines[i].sha256}` });
  /** One container run of these rows.jsonl lines, as a task of that many rows. */
  const run = (rows: string[]) => {
    writeFileSync(join(dir, 'in', 'rows.jsonl'), rows.join('\n') + '\n');
    const out = outDir(work);
    execFileSync('chmod', ['-R', 'a+rX', join(dir, 'in')]);
    const spec = workload.containerSpec(taskOf(rows.length), {
      cpuCores: 2,
      memoryBytes: 2 ** 33,
      gpus: [],
      images: [],
      slots: 1,
    });
    const { stderr, sec } = docker([
      '-e',
      'ORT_DISABLE_TELEMETRY=1',
      '-v',
      `${dir}/in:/in:ro`,
      '-v',
      `${out}:/out`,
      spec.image,
      ...spec.command,
    ]);
    // infer.js: "N rows (E errors) in X s, R rows/s; batches M s": M is the model's own time.
    const batches = /batches ([\d.]+) s/.exec(stderr);
    if (!batches) throw new Error(`infer.js printed no summary: ${stderr.slice(-500)}`);
    const output = readFileSync(join(out, 'outputs.jsonl'), 'utf8').trimEnd().split('\n');
    return { output, sec, modelSec: Number(batches[1]) };
  };

  // The provider's shard.
  const provider = run(lines.map((_, i) => rowLine(i)));
  const providerLines = provider.output;
  const task = taskOf(lines.length);

  // The verifier's check shards: each check's rows in a batch of its own, padded with failing rows.
  const checks = Array.from({ length: opts.checks }, () =>
    workload.sampleCheck(task, lines.length, randomBytes(32)),
  );
  const padded = Math.ceil(opts.rowsPerCheck / batchSize) * batchSize;
  const layout = checks.flatMap((samples) => [
    ...samples.map((s) => rowLine(s.item)),
    ...Array.from({ length: padded - samples.length }, () =>
      JSON.stringify({ id: 'padding', image: 'images/absent-padding' }),
    ),
  ]);
  const verifier = run(layout);
  // Per row: the model's time over the many check batches; start-up: the provider's run less its batches.
  const perRowMs = (verifier.modelSec * 1000) / layout.length;

  type Row = { row: number; id?: unknown; outputs?: { text: string; confidence: number } };
  const edit = (f: (r: Row, i: number) => Row) =>
    providerLines.map((l, i) => JSON.stringify(f(JSON.parse(l) as Row, i)));
  const files = new Files();
  const shard = (rows: string[]) => [files.add('outputs.jsonl', Buffer.from(rows.join('\n') + '\n'))];
  const cases: [string, OutputFile[]][] = [
    ['honest re-run', shard(providerLines)],
    [
      'empty text for every row (nothing run)',
      shard(edit((r) => ({ ...r, outputs: { text: '', confidence: 0 } }))),
    ],
    [
      'rows shifted by one (stale or reordered)',
      shard(
        edit((r, i) => ({
          ...r,
          outputs: (JSON.parse(providerLines[(i + 1) % lines.length]) as Row).outputs,
        })),
      ),
    ],
    [
      'confidence perturbed by 1 % (cheaper model)',
      shard(
        edit((r) => ({
          ...r,
          outputs: r.outputs && { ...r.outputs, confidence: r.outputs.confidence * 0.99 },
        })),
      ),
    ],
    [
      'half the rows correct, half blank',
      shard(edit((r, i) => (i % 2 ? { ...r, outputs: { text: '', confidence: 0 } } : r))),
    ],
  ];
  const tallies = cases.map(([name]) => new Tally(name));
  const describe = (o: CheckOutcome) => (o.verdict === 'accept' ? '' : o.reason.slice(0, 100));
  for (const [c, samples] of checks.entries()) {
    // The verifier's outputs.jsonl for this check: its rows numbered from 0, as the worker numbers a check shard.
    const mine = verifier.output
      .slice(c * padded, c * padded + samples.length)
      .map((l, j) => JSON.stringify({ ...(JSON.parse(l) as Row), row: j }));
    const reference = [files.add('outputs.jsonl', Buffer.from(mine.join('\n') + '\n'))];
    for (const [i, [, outputs]] of cases.entries()) {
      tallies[i].add(
        await workload.compareCheck(task, outputs, samples, reference, files.read, DEFAULT_THRESHOLDS),
        describe,
      );
    }
  }
  const [honestTally, ...cheats] = tallies.map((t) => t.result());
  return {
    honest: honestTally,
    cheats,
    lines,
    providerLines,
    timing: {
      startupSec: round(provider.sec - provider.modelSec, 2),
      msPerRow: round(perRowMs, 2),
      checkRows: layout.length,
      checkRunWallSec: round(verifier.sec, 1),
    },
  };
}
