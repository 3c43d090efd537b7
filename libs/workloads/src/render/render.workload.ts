import { z } from 'zod';
import { ContainerSpec, describeIssues, OutputFile } from '@tessera/protocol';
import {
  CommittedItem,
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

interface RenderTaskParams {
  frames: number[];
  width: number;
  height: number;
  samples: number;
  format: 'PNG' | 'OPEN_EXR';
  seed: number;
  device: 'ANY' | 'CPU' | 'GPU';
  frameTimeoutSec: number;
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
    const megapixels = (width * height) / 1e6;
    // Cycles keeps the frame buffer and the scene: a generous fixed part plus the file and buffers.
    const memoryBytes = Math.ceil((GIB + 3 * params.blend.size + megapixels * 64 * MIB) / MIB) * MIB;
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
      '160',
      '--out',
      '/out',
    ];
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
          Math.ceil((t.frames.length * t.width * t.height * 4 * 1.2 + 16 * MIB) / MIB) *
          MIB *
          (t.format === 'OPEN_EXR' ? 4 : 1),
        outputFiles: t.frames.length * 2 + 16,
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
    return frameItems(task.params as unknown as RenderTaskParams, outputs, read, this.pixelHashes);
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

/** OptiX needs an RTX-class GPU (compute capability 7.5+); older CUDA GPUs use CUDA. */
function supportsOptix(provider: ProviderProfile): boolean {
  return provider.gpus.every((g) => Number(g.computeCapability ?? '0') >= 7.5);
}

function formatTokens(value: number): string {
  return value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
