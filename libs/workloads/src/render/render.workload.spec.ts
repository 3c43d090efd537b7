import { PNG } from 'pngjs';
import { sha256Hex } from '@tessera/crypto';
import type { OutputFile } from '@tessera/protocol';
import { SceneInfo, TaskPlan, ValidationContext, WorkloadInputError, WorkloadOutputError } from '../workload';
import { RenderParams, RenderWorkload } from './render.workload';

const BLEND = 'a'.repeat(64);
const scene: SceneInfo = {
  blenderVersion: '3.4.1',
  fileVersion: '3.4.1',
  scene: 'Scene',
  frameStart: 1,
  frameEnd: 48,
  frameStep: 1,
  fps: 24,
  resolutionX: 1920,
  resolutionY: 1080,
  resolutionPercentage: 50,
  engine: 'CYCLES',
  camera: true,
  samples: 64,
  autoRunScriptsPresent: false,
};

function context(overrides: Partial<SceneInfo> = {}): ValidationContext {
  return {
    policy: { allowedImages: [], maxTasksPerJob: 10_000, maxTimeoutSec: 86_400 },
    lookupBlob: async (sha) => (sha === BLEND ? { size: 1_000_000 } : undefined),
    inspectScene: async () => ({ ...scene, ...overrides }),
    market: { currency: 'TSR', renderPerMegapixelSample: 0.001, inferencePerCpuSecond: 0.0001 },
  };
}

const sut = new RenderWorkload({
  image: 'tessera/blender:3.4',
  gpuImage: 'tessera/blender:3.4-cuda',
  targetChunkSeconds: 60,
  checkRegions: 5,
  checkRegionFraction: 1 / 16,
});

async function refusal(input: Record<string, unknown>, ctx = context()): Promise<WorkloadInputError> {
  const error = await sut.validate({ blend: BLEND, ...input }, ctx).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkloadInputError);
  return error as WorkloadInputError;
}

describe('RenderWorkload.validate', () => {
  it("defaults to the scene's frame range and its resolution at its percentage", async () => {
    const params = await sut.validate({ blend: BLEND }, context());
    expect(params.frames).toHaveLength(48);
    expect(params.resolution).toEqual({ width: 960, height: 540 });
    expect(params.samples).toBe(32);
    expect(params.format).toBe('PNG');
  });

  it('takes explicit frames, resolution and samples', async () => {
    const params = await sut.validate(
      { blend: BLEND, frames: '1-10x3', resolution: '640x360', samples: 8 },
      context(),
    );
    expect(params.frames).toEqual([1, 4, 7, 10]);
    expect(params.resolution).toEqual({ width: 640, height: 360 });
  });

  it("refuses frames outside the scene's range, naming them", async () => {
    const error = await refusal({ frames: '40-60' });
    expect(error.code).toBe('FRAMES_OUT_OF_RANGE');
    expect(error.message).toBe("frames 49-60 are outside the scene's range 1-48");
  });

  it.each([
    [{ resolution: '0x100' }, /width 0 px is outside 4..16384/],
    [{ resolution: '100000x100' }, /width 100000 px/],
    [{ samples: 0 }, /at least 1 sample/],
    [{ samples: -3 }, /at least 1 sample/],
    [{ samples: 10_000_000 }, /at most 65536 samples/],
    [{ resolutionPercentage: 0 }, /resolutionPercentage/],
    [{ frames: '5-1' }, /ends before it starts/],
    [{ engine: 'BLENDER_EEVEE' }, /engine/],
  ])('refuses absurd settings %j', async (input, message) => {
    expect((await refusal(input)).message).toMatch(message);
  });

  it('refuses a scene without a camera', async () => {
    expect((await refusal({}, context({ camera: false }))).code).toBe('SCENE_INVALID');
  });

  it('refuses a blend that was not uploaded by this account', async () => {
    const error = await refusal({ blend: 'b'.repeat(64) });
    expect(error.code).toBe('INPUT_NOT_FOUND');
  });

  it('refuses a price cap below the market price, and says what the market price is', async () => {
    // 10 frames × 0.2304 MP × 32 samples × 0.001 = 0.0737 TSR
    const error = await refusal({ frames: '1-10', resolution: '640x360', samples: 32, maxPrice: '0.05' });
    expect(error.code).toBe('PRICE_TOO_LOW');
    expect(error.message).toContain('0.0737 TSR');
    await expect(
      sut.validate({ blend: BLEND, frames: '1-10', resolution: '640x360', maxPrice: '0.08' }, context()),
    ).resolves.toBeTruthy();
  });
});

describe('RenderWorkload.split', () => {
  async function params(input: Record<string, unknown>): Promise<RenderParams> {
    return sut.validate({ blend: BLEND, ...input }, context());
  }

  it('gives every online provider about two chunks of a small job', async () => {
    const tasks = sut.split(await params({ frames: '1-24', resolution: '320x240', samples: 32 }), {
      policy: context().policy,
      onlineProviders: 2,
    });
    expect(tasks.map((t) => (t.params as { frames: number[] }).frames)).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 11, 12],
      [13, 14, 15, 16, 17, 18],
      [19, 20, 21, 22, 23, 24],
    ]);
    expect(tasks.map((t) => t.items)).toEqual([6, 6, 6, 6]);
  });

  it('makes chunks of heavy frames as small as one frame', async () => {
    const tasks = sut.split(await params({ frames: '1-4', resolution: '3840x2160', samples: 4096 }), {
      policy: context().policy,
      onlineProviders: 1,
    });
    expect(tasks).toHaveLength(4);
  });

  it('honours an explicit chunk size', async () => {
    const tasks = sut.split(await params({ frames: '1-10', chunkSize: 4 }), {
      policy: context().policy,
      onlineProviders: 8,
    });
    expect(tasks.map((t) => t.items)).toEqual([4, 4, 2]);
  });
});

describe('RenderWorkload.containerSpec', () => {
  async function task(device = 'ANY'): Promise<TaskPlan> {
    const p = await sut.validate({ blend: BLEND, frames: '1-2', resolution: '320x240', device }, context());
    return sut.split(p, { policy: context().policy, onlineProviders: 1 })[0];
  }
  const rtx = {
    index: 0,
    name: 'NVIDIA RTX 4090',
    vramBytes: 24 * 2 ** 30,
    driverVersion: '550',
    computeCapability: '8.9',
  };

  it('renders on the CPU image with auto-run scripts disabled and the CPU count stated', async () => {
    const spec = sut.containerSpec(await task(), {
      cpuCores: 16,
      memoryBytes: 2 ** 36,
      gpus: [],
      images: [],
      slots: 2,
    });
    expect(spec.image).toBe('tessera/blender:3.4');
    expect(spec.command).toEqual(
      expect.arrayContaining(['-b', '-Y', '--factory-startup', '/in/scene.blend']),
    );
    expect(spec.command).not.toContain('-y');
    expect(spec.command.slice(spec.command.indexOf('-t'), spec.command.indexOf('-t') + 2)).toEqual([
      '-t',
      '8',
    ]);
    expect(
      spec.command.slice(spec.command.indexOf('--device'), spec.command.indexOf('--device') + 2),
    ).toEqual(['--device', 'CPU']);
    expect(spec.gpus).toBe(0);
  });

  it('uses the CUDA image with OptiX on a provider with an RTX GPU and that image', async () => {
    const spec = sut.containerSpec(await task(), {
      cpuCores: 8,
      memoryBytes: 2 ** 36,
      gpus: [rtx],
      images: ['tessera/blender:3.4-cuda'],
      slots: 1,
    });
    expect(spec.image).toBe('tessera/blender:3.4-cuda');
    expect(spec.command).toEqual(expect.arrayContaining(['--device', 'OPTIX']));
    expect(spec.gpus).toBe(1);
  });

  it('stays on the CPU when the GPU provider lacks the CUDA image, or the job asks for CPU', async () => {
    expect(
      sut.containerSpec(await task(), {
        cpuCores: 8,
        memoryBytes: 2 ** 36,
        gpus: [rtx],
        images: [],
        slots: 1,
      }).gpus,
    ).toBe(0);
    const cpu = sut.containerSpec(await task('CPU'), {
      cpuCores: 8,
      memoryBytes: 2 ** 36,
      gpus: [rtx],
      images: ['tessera/blender:3.4-cuda'],
      slots: 1,
    });
    expect(cpu.gpus).toBe(0);
  });

  it('asks the scheduler for a GPU only when the job insists on one', async () => {
    expect((await task('GPU')).requirements.gpus).toBe(1);
    expect((await task('ANY')).requirements.gpus).toBe(0);
  });
});

describe('RenderWorkload.checkOutputs', () => {
  function png(width: number, height: number, rgba: [number, number, number, number]): Buffer {
    const image = new PNG({ width, height });
    for (let i = 0; i < width * height * 4; i += 4) image.data.set(rgba, i);
    image.data[0] = Math.min(255, rgba[0] + 30); // not uniform
    return PNG.sync.write(image);
  }
  const files = new Map<string, Buffer>();
  function out(path: string, bytes: Buffer): OutputFile {
    const sha256 = sha256Hex(bytes);
    files.set(sha256, bytes);
    return { path, sha256, size: bytes.length };
  }
  const read = async (file: OutputFile, maxBytes?: number) =>
    (files.get(file.sha256) as Buffer).subarray(0, maxBytes);
  const task = {
    index: 0,
    image: 'x',
    timeoutSec: 1,
    inputs: [],
    requirements: { cpus: 1, memoryBytes: 1, gpus: 0, vramBytes: 0 },
  };
  const params = {
    frames: [1, 2],
    width: 32,
    height: 24,
    samples: 1,
    format: 'PNG',
    seed: 0,
    device: 'ANY',
    frameTimeoutSec: 10,
  };
  const thumbs = () => [
    out('thumbs/frame-000001.png', png(16, 12, [90, 90, 90, 255])),
    out('thumbs/frame-000002.png', png(16, 12, [90, 90, 90, 255])),
  ];

  async function failure(outputs: OutputFile[], deep = true): Promise<string> {
    const error = await sut.checkOutputs({ ...task, params }, outputs, read, deep).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkloadOutputError);
    return (error as Error).message;
  }

  it('accepts a chunk whose frames are all there, of the right size, with thumbnails', async () => {
    const outputs = [
      out('frame-000001.png', png(32, 24, [200, 10, 10, 255])),
      out('frame-000002.png', png(32, 24, [10, 200, 10, 255])),
      ...thumbs(),
    ];
    await expect(sut.checkOutputs({ ...task, params }, outputs, read, true)).resolves.toBeUndefined();
  });

  it('names a missing frame', async () => {
    expect(await failure([out('frame-000001.png', png(32, 24, [200, 10, 10, 255])), ...thumbs()])).toBe(
      'frame 2 is missing (expected frame-000002.png)',
    );
  });

  it('names a frame of the wrong size', async () => {
    const outputs = [
      out('frame-000001.png', png(32, 24, [200, 10, 10, 255])),
      out('frame-000002.png', png(64, 24, [9, 9, 200, 255])),
      ...thumbs(),
    ];
    expect(await failure(outputs)).toBe('frame 2 is 64×24, not the 32×24 asked for');
  });

  it('refuses a black frame and a transparent one (broken GPU renders), but only in deep checks', async () => {
    const black = new PNG({ width: 32, height: 24 });
    for (let i = 0; i < 32 * 24 * 4; i += 4) black.data.set([0, 0, 0, 255], i);
    const blackFrame = [
      out('frame-000001.png', PNG.sync.write(black)),
      out('frame-000002.png', png(32, 24, [10, 200, 10, 255])),
      ...thumbs(),
    ];
    expect(await failure(blackFrame)).toBe('frame 1 is entirely black (a broken GPU driver or render?)');
    await expect(sut.checkOutputs({ ...task, params }, blackFrame, read, false)).resolves.toBeUndefined();
    const clear = [
      out('frame-000001.png', png(32, 24, [200, 10, 10, 255])),
      out('frame-000002.png', png(32, 24, [200, 200, 200, 0])),
      ...thumbs(),
    ];
    clear[1] = out(
      'frame-000002.png',
      (() => {
        const t = new PNG({ width: 32, height: 24 });
        t.data.fill(0);
        return PNG.sync.write(t);
      })(),
    );
    expect(await failure(clear)).toBe('frame 2 is entirely transparent (a broken GPU driver or render?)');
  });

  it('refuses a frame that is not a PNG, and one that is truncated', async () => {
    const good = png(32, 24, [200, 10, 10, 255]);
    expect(
      await failure([
        out('frame-000001.png', Buffer.from('not an image at all, really')),
        out('frame-000002.png', good),
        ...thumbs(),
      ]),
    ).toBe('frame 1 is not a PNG file');
    expect(
      await failure([
        out('frame-000001.png', good.subarray(0, good.length - 40)),
        out('frame-000002.png', good),
        ...thumbs(),
      ]),
    ).toMatch(/^frame 1 does not decode/);
  });

  it('refuses outputs that are not frames of this chunk', async () => {
    const outputs = [
      out('frame-000001.png', png(32, 24, [200, 10, 10, 255])),
      out('frame-000002.png', png(32, 24, [10, 200, 10, 255])),
      ...thumbs(),
      out('frame-000003.png', png(32, 24, [1, 2, 200, 255])),
    ];
    expect(await failure(outputs)).toBe('unexpected output frame-000003.png');
  });
});
