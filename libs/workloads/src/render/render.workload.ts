import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ContainerSpec, describeIssues, OutputFile } from '@tessera/protocol';
import {
  CheckContext,
  CheckOutcome,
  CheckSample,
  combineSamples,
  CommittedItem,
  SampleComparison,
  OutputReader,
  ProviderProfile,
  SceneInfo,
  SplitContext,
  TaskPlan,
  TaskSpec,
  ValidationContext,
  WorkloadInputError,
  WorkloadOutputError,
  WorkloadPlugin,
} from '../workload';
import { blankReason, decodePngRgba8, isExr, PNG_HEADER_BYTES, pixelStats, pngSize } from './image-check';
import { itemsPerTask } from '../task-size';
import { formatFrames, frameFileName, frameOfPath, parseFrames } from './frames';
import { frameItems, pixelsSha256 } from './frame-items';
import { compareRender, decodePng, ImageCompareError, RgbaImage } from '../verify/image-compare';
import { sampleItems, sampleRegion } from '../verify/sampling';
import type { VerificationThresholds } from '../verify/thresholds';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Cycles CPU seconds per megapixel-sample with the 2 threads of our reference machine: 320×240 at
 * 32 samples (2.46 MP·samples) measured ~2.2 s per frame. Only used to size chunks; it need not be
 * exact, just proportional.
 */
const SECONDS_PER_MEGAPIXEL_SAMPLE = 0.9;
/** Blender's start-up and scene load, paid once per task: a reason not to make chunks tiny. */
const STARTUP_SECONDS = 1.6;

export interface RenderWorkloadOptions {
  /** The CPU image (Debian's Blender): every provider can run it. */
  image: string;
  /** The CUDA/OptiX image, used for providers that have a GPU and already hold this image. */
  gpuImage: string;
  /** Aim for tasks of about this many seconds (Flamenco-style chunking). */
  targetChunkSeconds: number;
  /**
   * Regions a spot-check re-renders, spread over distinct frames of the chunk (all of them when the
   * chunk has no more frames than this). bench/verification: single regions over flat background
   * match even another seed about half the time, five catch it 99.5 % of the time.
   */
  checkRegions: number;
  /** Each region's share of the frame's area (same aspect, at least 32 px a side). */
  checkRegionFraction: number;
}

const RenderInputSchema = z.strictObject({
  blend: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of an uploaded .blend'),
  frames: z.string().min(1).max(2000).optional(),
  resolution: z
    .string()
    .regex(/^\d+x\d+$/, 'WIDTHxHEIGHT, e.g. 1920x1080')
    .optional(),
  resolutionPercentage: z.number().int().min(1).max(100).optional(),
  samples: z.number().int().min(1, 'at least 1 sample').max(65_536, 'at most 65536 samples').default(32),
  engine: z.enum(['CYCLES']).default('CYCLES'),
  format: z.enum(['PNG', 'EXR']).default('PNG'),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
  device: z.enum(['ANY', 'CPU', 'GPU']).default('ANY'),
  maxPrice: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'a decimal token amount, e.g. 12.5')
    .optional(),
  chunkSize: z.number().int().min(1).max(10_000).optional(),
  frameTimeoutSec: z
    .number()
    .int()
    .min(10)
    .max(24 * 3600)
    .default(600),
});

export interface RenderParams {
  blend: { sha256: string; size: number };
  scene: SceneInfo;
  frames: number[];
  resolution: { width: number; height: number };
  samples: number;
  engine: 'CYCLES';
  format: 'PNG' | 'OPEN_EXR';
  seed: number;
  device: 'ANY' | 'CPU' | 'GPU';
  maxPrice?: string;
  /** Cost at the market price when the job was submitted, in tokens. */
  estimatedCost: number;
  currency: string;
  chunkSize?: number;
  frameTimeoutSec: number;
}

/** A box of a frame a spot-check re-renders. */
interface RegionSample {
  frame: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

interface RenderTaskParams {
  frames: number[];
  width: number;
  height: number;
  samples: number;
  format: 'PNG' | 'OPEN_EXR';
  seed: number;
  device: 'ANY' | 'CPU' | 'GPU';
  frameTimeoutSec: number;
  /** Set on a spot-check: the boxes to re-render, in order (regions/000.png, 001.png, …). */
  check?: { regions: RegionSample[] };
}

/** Output path of a spot-check's region `i`. */
export function regionFileName(i: number): string {
  return `regions/${String(i).padStart(3, '0')}.png`;
}

const MAX_PIXELS_PER_SIDE = 16_384;

/**
 * `render`: Blender (Cycles) scenes rendered in frame chunks. The scene is inspected at submission
 * (in the sandbox) so that bad files, out-of-range frames and absurd settings are refused before
 * anything is queued or charged; each chunk runs /opt/tessera/render.py in the Blender image with
 * auto-run scripts disabled; a chunk counts only when every frame is there, decodes, has the asked
 * size and is not blank.
 */
export class RenderWorkload implements WorkloadPlugin<RenderParams> {
  readonly kind = 'render';
  /**
   * Pixel hashes of frames the deep check decoded, by file SHA-256 (content-addressed, so never
   * stale), for commitItems; bounded, oldest dropped first.
   */
  private readonly pixelHashes = new Map<string, string>();

  constructor(private readonly options: RenderWorkloadOptions) {}

  async validate(input: unknown, ctx: ValidationContext): Promise<RenderParams> {
    const parsed = RenderInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new WorkloadInputError(
        'INVALID_PARAMETER',
        describeIssues(parsed.error),
        parsed.error.issues[0]?.path.join('.'),
      );
    }
    const p = parsed.data;
    const blob = await ctx.lookupBlob(p.blend);
    if (!blob)
      throw new WorkloadInputError(
        'INPUT_NOT_FOUND',
        `no uploaded .blend ${p.blend} in this account (upload it first)`,
        'blend',
      );
    if (!ctx.inspectScene)
      throw new WorkloadInputError(
        'UNAVAILABLE',
        'this coordinator cannot inspect scenes, so it takes no render jobs',
      );
    const scene = await ctx.inspectScene({ sha256: p.blend, size: blob.size });
    if (!scene.camera)
      throw new WorkloadInputError(
        'SCENE_INVALID',
        `scene "${scene.scene}" has no active camera: set one in Blender and save`,
        'blend',
      );

    let frames: number[];
    try {
      frames = p.frames
        ? parseFrames(p.frames)
        : parseFrames(`${scene.frameStart}-${scene.frameEnd}x${Math.max(1, scene.frameStep)}`);
    } catch (error) {
      throw new WorkloadInputError('INVALID_PARAMETER', (error as Error).message, 'frames');
    }
    const outside = frames.filter((f) => f < scene.frameStart || f > scene.frameEnd);
    if (outside.length) {
      throw new WorkloadInputError(
        'FRAMES_OUT_OF_RANGE',
        `frames ${formatFrames(outside)} are outside the scene's range ${scene.frameStart}-${scene.frameEnd}`,
        'frames',
      );
    }

    const percentage = p.resolutionPercentage ?? (p.resolution ? 100 : scene.resolutionPercentage);
    const [width, height] = p.resolution
      ? p.resolution.split('x').map(Number)
      : // Blender truncates: 333 px at 50 % is 166.
        [
          Math.floor((scene.resolutionX * percentage) / 100),
          Math.floor((scene.resolutionY * percentage) / 100),
        ];
    for (const [side, value] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (value < 4 || value > MAX_PIXELS_PER_SIDE) {
        throw new WorkloadInputError(
          'INVALID_PARAMETER',
          `${side} ${value} px is outside 4..${MAX_PIXELS_PER_SIDE}`,
          'resolution',
        );
      }
    }

    const megapixelSamples = frames.length * ((width * height) / 1e6) * p.samples;
    const rate = ctx.market?.renderPerMegapixelSample ?? 0;
    const currency = ctx.market?.currency ?? 'TSR';
    const estimatedCost = megapixelSamples * rate;
    if (p.maxPrice !== undefined && Number(p.maxPrice) < estimatedCost) {
      throw new WorkloadInputError(
        'PRICE_TOO_LOW',
        `maxPrice ${p.maxPrice} ${currency} is below what providers charge for this job at the current market price: ` +
          `${formatTokens(estimatedCost)} ${currency} (${frames.length} frames × ${((width * height) / 1e6).toFixed(3)} MP × ` +
          `${p.samples} samples at ${rate} ${currency} per megapixel-sample)`,
        'maxPrice',
      );
    }
    return {
      blend: { sha256: p.blend, size: blob.size },
      scene,
      frames,
      resolution: { width, height },
      samples: p.samples,
      engine: p.engine,
      format: p.format === 'EXR' ? 'OPEN_EXR' : 'PNG',
      seed: p.seed,
      device: p.device,
      maxPrice: p.maxPrice,
      estimatedCost,
      currency,
      chunkSize: p.chunkSize,
      frameTimeoutSec: p.frameTimeoutSec,
    };
  }

  /**
   * Frame chunks, Flamenco-style: about `targetChunkSeconds` of estimated render time each, but
   * small enough that every online provider gets about two chunks, and never so small that Blender's
   * start-up dominates. An explicit `chunkSize` wins.
   */
  split(params: RenderParams, ctx: SplitContext): TaskPlan[] {
    const size = params.chunkSize ?? this.chunkSize(params, ctx.onlineProviders);
    const chunks: number[][] = [];
    for (let i = 0; i < params.frames.length; i += size) chunks.push(params.frames.slice(i, i + size));
    const { width, height } = params.resolution;
    const memoryBytes = renderMemoryBytes(params.blend.size, width, height);
    return chunks.map((frames, index) => ({
      index,
      params: {
        frames,
        width,
        height,
        samples: params.samples,
        format: params.format,
        seed: params.seed,
        device: params.device,
        frameTimeoutSec: params.frameTimeoutSec,
      } satisfies RenderTaskParams,
      image: this.options.image,
      requirements: {
        cpus: 1,
        memoryBytes,
        gpus: params.device === 'GPU' ? 1 : 0,
        vramBytes: params.device === 'GPU' ? GIB : 0,
      },
      timeoutSec: Math.ceil(STARTUP_SECONDS + 30 + frames.length * params.frameTimeoutSec),
      inputs: [{ sha256: params.blend.sha256, size: params.blend.size, path: 'scene.blend' }],
      items: frames.length,
    }));
  }

  private chunkSize(params: RenderParams, onlineProviders: number): number {
    const { width, height } = params.resolution;
    const secondsPerFrame = Math.max(
      0.05,
      ((width * height) / 1e6) * params.samples * SECONDS_PER_MEGAPIXEL_SAMPLE,
    );
    return itemsPerTask({
      items: params.frames.length,
      secondsPerItem: secondsPerFrame,
      startupSeconds: STARTUP_SECONDS,
      targetSeconds: this.options.targetChunkSeconds,
      onlineProviders,
    });
  }

  /** GPU providers that hold the CUDA image render with it; everyone else on the CPU image. */
  containerSpec(task: TaskSpec, provider: ProviderProfile): ContainerSpec {
    const t = task.params as unknown as RenderTaskParams;
    const gpu =
      t.device !== 'CPU' && provider.gpus.length > 0 && provider.images.includes(this.options.gpuImage);
    const cpus = Math.max(1, Math.floor(provider.cpuCores / Math.max(1, provider.slots)));
    const command = [
      'blender',
      '-b',
      '-Y', // never run scripts from the file (auto-run disabled), whatever the file asks
      '--factory-startup',
      '/in/scene.blend',
      '--python-exit-code',
      '3',
      '-t',
      String(cpus), // a CPU limit does not change the CPU count Blender sees: say it
      '-P',
      '/opt/tessera/render.py',
      '--',
      '--frames',
      t.frames.join(','),
      '--resolution',
      `${t.width}x${t.height}`,
      '--samples',
      String(t.samples),
      '--engine',
      'CYCLES',
      '--device',
      gpu ? (supportsOptix(provider) ? 'OPTIX' : 'CUDA') : 'CPU',
      '--seed',
      String(t.seed),
      '--format',
      t.format,
      '--frame-timeout',
      String(t.frameTimeoutSec),
      '--thumb-width',
      t.check ? '0' : '160',
      '--out',
      '/out',
      ...(t.check
        ? [
            '--regions',
            t.check.regions
              .map((r) => `${r.frame}:${r.x},${r.y},${r.x + r.width},${r.y + r.height}`)
              .join(';'),
          ]
        : []),
    ];
    const outputPixels = t.check
      ? t.check.regions.reduce((sum, r) => sum + r.width * r.height, 0)
      : t.frames.length * t.width * t.height;
    const outputFiles = t.check ? t.check.regions.length + 16 : t.frames.length * 2 + 16;
    return {
      image: gpu ? this.options.gpuImage : task.image,
      command,
      env: { HOME: '/tmp' },
      inputs: task.inputs,
      limits: {
        cpus,
        memoryBytes: task.requirements.memoryBytes,
        pids: 512,
        timeoutSec: task.timeoutSec,
        tmpBytes: 512 * MIB,
        outputBytes:
          Math.ceil((outputPixels * 4 * 1.2 + 16 * MIB) / MIB) * MIB * (t.format === 'OPEN_EXR' ? 4 : 1),
        outputFiles,
      },
      gpus: gpu ? 1 : 0,
    };
  }

  /**
   * Every frame of the chunk is there with the asked size, and its thumbnail too. Deep checks
   * (the agent, on its disk) also decode each PNG and refuse blank ones.
   */
  async checkOutputs(
    task: TaskSpec,
    outputs: OutputFile[],
    read: OutputReader,
    deep: boolean,
  ): Promise<void> {
    const t = task.params as unknown as RenderTaskParams;
    if (t.check) return checkRegionOutputs(t.check.regions, outputs, read, deep);
    const byPath = new Map(outputs.map((o) => [o.path, o]));
    for (const frame of t.frames) {
      const name = frameFileName(frame, t.format);
      const file = byPath.get(name);
      if (!file) throw new WorkloadOutputError(`frame ${frame} is missing (expected ${name})`);
      if (!byPath.has(`thumbs/${frameFileName(frame, 'PNG')}`))
        throw new WorkloadOutputError(`the thumbnail of frame ${frame} is missing`);
      if (t.format === 'OPEN_EXR') {
        if (!isExr(await read(file, 4)))
          throw new WorkloadOutputError(`frame ${frame} is not an OpenEXR file`);
        continue;
      }
      const size = pngSize(await read(file, PNG_HEADER_BYTES));
      if (!size) throw new WorkloadOutputError(`frame ${frame} is not a PNG file`);
      if (size.width !== t.width || size.height !== t.height) {
        throw new WorkloadOutputError(
          `frame ${frame} is ${size.width}×${size.height}, not the ${t.width}×${t.height} asked for`,
        );
      }
      if (!deep) continue;
      let blank: string | undefined;
      try {
        const image = decodePngRgba8(await read(file));
        blank = blankReason(pixelStats(image));
        // The commitment that follows hashes the same pixels: decode each frame once.
        this.pixelHashes.set(file.sha256, pixelsSha256(image));
        if (this.pixelHashes.size > 4096)
          this.pixelHashes.delete(this.pixelHashes.keys().next().value as string);
      } catch (error) {
        throw new WorkloadOutputError(`frame ${frame} does not decode: ${(error as Error).message}`);
      }
      if (blank) throw new WorkloadOutputError(`frame ${frame} is ${blank} (a broken GPU driver or render?)`);
    }
    const unexpected = outputs.find((o) => {
      const f = frameOfPath(o.path);
      return !f || !t.frames.includes(f.frame);
    });
    if (unexpected) throw new WorkloadOutputError(`unexpected output ${unexpected.path}`);
  }

  /**
   * One item per frame in frame order, keyed `frame-<n>`: a PNG frame's hash covers its size and
   * decoded pixels only (frame-items.ts), an EXR frame's its file bytes. Thumbnails are not items.
   */
  async commitItems(task: TaskSpec, outputs: OutputFile[], read: OutputReader): Promise<CommittedItem[]> {
    const t = task.params as unknown as RenderTaskParams;
    if (t.check) return regionItems(t.check.regions, outputs, read);
    return frameItems(t, outputs, read, this.pixelHashes);
  }

  /**
   * `checkRegions` boxes of `checkRegionFraction` of a frame, on distinct frames of the chunk (each
   * frame gets one when the chunk is at least that long; shorter chunks get several boxes per
   * frame, so every frame is checked), ordered by frame. EXR chunks are not spot-checked yet: the
   * comparators read 8-bit pixels.
   */
  sampleCheck(task: TaskSpec, items: number, seed: Buffer): CheckSample[] {
    const t = task.params as unknown as RenderTaskParams;
    if (t.check || t.format !== 'PNG' || items !== t.frames.length || items === 0) return [];
    const regions = Math.max(1, this.options.checkRegions);
    const chosen = sampleItems(seed, items, Math.min(items, regions));
    const samples = Array.from({ length: regions }, (_, r) => {
      const item = chosen[r % chosen.length];
      const regionSeed = createHash('sha256').update(seed).update(`region-${r}`).digest();
      return {
        item,
        key: `frame-${t.frames[item]}`,
        region: sampleRegion(regionSeed, t.width, t.height, this.options.checkRegionFraction),
      };
    });
    return samples.sort((a, b) => a.item - b.item);
  }

  /**
   * The regions, rendered by render.py --regions from the same scene with the same settings, on
   * the device type the provider rendered on (a CPU re-render of GPU work lands in the grey zone).
   */
  async checkTask(
    task: TaskSpec,
    samples: CheckSample[],
    ctx: CheckContext,
  ): Promise<Omit<TaskPlan, 'index'>> {
    const t = task.params as unknown as RenderTaskParams;
    const gpu =
      t.device !== 'CPU' &&
      ctx.provider.gpus.length > 0 &&
      ctx.provider.images.includes(this.options.gpuImage);
    const regions = samples.map((s) => {
      if (!s.region) throw new Error(`render sample ${s.key} has no region`);
      return { frame: t.frames[s.item], ...s.region };
    });
    const frames = [...new Set(regions.map((r) => r.frame))];
    const blend = task.inputs.find((i) => i.path === 'scene.blend') ?? task.inputs[0];
    return {
      params: { ...t, frames, device: gpu ? 'GPU' : 'CPU', check: { regions } } satisfies RenderTaskParams,
      image: this.options.image,
      requirements: {
        cpus: 1,
        memoryBytes: renderMemoryBytes(blend.size, t.width, t.height),
        gpus: gpu ? 1 : 0,
        vramBytes: gpu ? GIB : 0,
      },
      timeoutSec: Math.ceil(STARTUP_SECONDS + 30 + regions.length * t.frameTimeoutSec),
      inputs: task.inputs,
      items: regions.length,
    };
  }

  /** The regions' area over the chunk's (a border render costs about its share of the pixels). */
  checkShare(task: TaskSpec, samples: CheckSample[]): number {
    const t = task.params as unknown as RenderTaskParams;
    const area = samples.reduce(
      (sum, s) => sum + (s.region ? s.region.width * s.region.height : t.width * t.height),
      0,
    );
    return Math.min(1, area / (t.width * t.height * Math.max(1, t.frames.length)));
  }

  async itemHashes(
    task: TaskSpec,
    outputs: OutputFile[],
    indices: number[],
    read: OutputReader,
  ): Promise<string[]> {
    const t = task.params as unknown as RenderTaskParams;
    const frames = indices.map((i) => {
      if (!Number.isInteger(i) || i < 0 || i >= t.frames.length)
        throw new WorkloadOutputError(`item ${i} is outside this chunk of ${t.frames.length} frames`);
      return t.frames[i];
    });
    return (await frameItems({ frames, format: t.format }, outputs, read)).map((item) => item.sha256);
  }

  /**
   * Each region of the provider's frame against the verifier's render of it (compareRender with
   * the configured thresholds). A frame of the provider's that is missing or does not decode is a
   * reject; a region the verifier did not deliver is inconclusive.
   */
  async compareCheck(
    task: TaskSpec,
    claimed: OutputFile[],
    samples: CheckSample[],
    reference: OutputFile[],
    read: OutputReader,
    thresholds: VerificationThresholds,
  ): Promise<CheckOutcome> {
    const t = task.params as unknown as RenderTaskParams;
    const claimedByPath = new Map(claimed.map((o) => [o.path, o]));
    const referenceByPath = new Map(reference.map((o) => [o.path, o]));
    const frames = new Map<number, RgbaImage | string>();
    const results: SampleComparison[] = [];
    for (const [r, sample] of samples.entries()) {
      const base = { item: sample.item, key: sample.key };
      const frame = t.frames[sample.item];
      const refFile = referenceByPath.get(regionFileName(r));
      let refImage: RgbaImage;
      try {
        if (!refFile)
          throw new ImageCompareError('BAD_IMAGE', `the verifier returned no ${regionFileName(r)}`);
        refImage = decodePng(await read(refFile), `verifier's region ${r}`);
      } catch (error) {
        results.push({ ...base, verdict: 'inconclusive', reason: `verifier: ${(error as Error).message}` });
        continue;
      }
      if (!frames.has(frame)) {
        const file = claimedByPath.get(frameFileName(frame, 'PNG'));
        try {
          if (!file) throw new ImageCompareError('BAD_IMAGE', `frame ${frame} is not among the outputs`);
          frames.set(frame, decodePng(await read(file), `frame ${frame}`));
        } catch (error) {
          frames.set(frame, (error as Error).message);
        }
      }
      const image = frames.get(frame) as RgbaImage | string;
      if (typeof image === 'string') {
        results.push({ ...base, verdict: 'reject', reason: image, psnr: null, ssim: null });
        continue;
      }
      const c = compareRender(
        { frame: image, region: sample.region as RegionSample },
        refImage,
        thresholds.render,
      );
      results.push({
        ...base,
        verdict: c.verdict,
        reason: `region ${describeRegion(sample)}: ${c.reason}`,
        psnr: c.psnr,
        ssim: c.ssim,
      });
    }
    return combineSamples(results);
  }

  /** Frames in frame order, then their thumbnails. */
  merge(_params: RenderParams, tasks: { index: number; outputs: OutputFile[] }[]): OutputFile[] {
    const all = tasks.flatMap((t) => t.outputs);
    const key = (o: OutputFile) => {
      const f = frameOfPath(o.path);
      return (f?.thumbnail ? 1e12 : 0) + (f?.frame ?? 0);
    };
    return [...all].sort((a, b) => key(a) - key(b));
  }
}

/** Cycles keeps the frame buffer and the scene: a generous fixed part plus the file and buffers. */
function renderMemoryBytes(blendBytes: number, width: number, height: number): number {
  const megapixels = (width * height) / 1e6;
  return Math.ceil((GIB + 3 * blendBytes + megapixels * 64 * MIB) / MIB) * MIB;
}

function describeRegion(sample: CheckSample): string {
  const r = sample.region;
  return r ? `${r.width}×${r.height} at ${r.x},${r.y}` : 'whole frame';
}

/** A spot-check's outputs: every region, PNG, of its box's size, and nothing else. */
async function checkRegionOutputs(
  regions: RegionSample[],
  outputs: OutputFile[],
  read: OutputReader,
  deep: boolean,
): Promise<void> {
  const byPath = new Map(outputs.map((o) => [o.path, o]));
  for (const [i, r] of regions.entries()) {
    const file = byPath.get(regionFileName(i));
    if (!file) throw new WorkloadOutputError(`region ${i} (frame ${r.frame}) is missing`);
    const size = pngSize(await read(file, PNG_HEADER_BYTES));
    if (!size) throw new WorkloadOutputError(`region ${i} is not a PNG file`);
    if (size.width !== r.width || size.height !== r.height)
      throw new WorkloadOutputError(
        `region ${i} is ${size.width}×${size.height}, not the ${r.width}×${r.height} asked for`,
      );
    // Regions may be legitimately blank (a box of background), so they are only decoded.
    if (deep) {
      try {
        decodePngRgba8(await read(file));
      } catch (error) {
        throw new WorkloadOutputError(`region ${i} does not decode: ${(error as Error).message}`);
      }
    }
  }
  const expected = new Set(regions.map((_, i) => regionFileName(i)));
  const unexpected = outputs.find((o) => !expected.has(o.path));
  if (unexpected) throw new WorkloadOutputError(`unexpected output ${unexpected.path}`);
}

/** A spot-check's items: one per region, in order, hashed by pixels like frames. */
async function regionItems(
  regions: RegionSample[],
  outputs: OutputFile[],
  read: OutputReader,
): Promise<CommittedItem[]> {
  const byPath = new Map(outputs.map((o) => [o.path, o]));
  const items: CommittedItem[] = [];
  for (const [i] of regions.entries()) {
    const file = byPath.get(regionFileName(i));
    if (!file) throw new WorkloadOutputError(`region ${i} is missing`);
    try {
      items.push({ key: `region-${i}`, sha256: pixelsSha256(decodePngRgba8(await read(file))) });
    } catch (error) {
      throw new WorkloadOutputError(`region ${i} does not decode: ${(error as Error).message}`);
    }
  }
  return items;
}

/** OptiX needs an RTX-class GPU (compute capability 7.5+); older CUDA GPUs use CUDA. */
function supportsOptix(provider: ProviderProfile): boolean {
  return provider.gpus.every((g) => Number(g.computeCapability ?? '0') >= 7.5);
}

function formatTokens(value: number): string {
  return value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
