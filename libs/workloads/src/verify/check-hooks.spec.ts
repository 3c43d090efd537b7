import { PNG } from 'pngjs';
import { sha256Hex } from '@tessera/crypto';
import type { OutputFile } from '@tessera/protocol';
import { CheckContext, TaskSpec } from '../workload';
import { RenderWorkload, regionFileName } from '../render/render.workload';
import { InferenceWorkload } from '../inference/inference.workload';
import { DEFAULT_INFERENCE_OPTIONS, DEFAULT_RENDER_OPTIONS } from '../registry';
import { DEFAULT_THRESHOLDS } from './thresholds';
import { canonicalJson } from '../inference/row-items';

// The spot-check hooks of the render and inference kinds: what is sampled, the check task a
// verifier runs, and how its outputs are compared with the provider's.

const files = new Map<string, Buffer>();
function out(path: string, bytes: Buffer): OutputFile {
  const sha256 = sha256Hex(bytes);
  files.set(sha256, bytes);
  return { path, sha256, size: bytes.length };
}
const read = async (file: OutputFile, maxBytes?: number) =>
  (files.get(file.sha256) as Buffer).subarray(0, maxBytes);
const seed = (s: string) => Buffer.from(sha256Hex(s), 'hex');
const ctx = (overrides: Partial<CheckContext> = {}): CheckContext => ({
  provider: { cpuCores: 4, memoryBytes: 2 ** 33, gpus: [], images: [], slots: 1 },
  readBlob: async (sha) => files.get(sha) as Buffer,
  storeBlob: async (data) => {
    const f = out('x', data);
    return { sha256: f.sha256, size: f.size };
  },
  ...overrides,
});

describe('render spot-checks', () => {
  const sut = new RenderWorkload(DEFAULT_RENDER_OPTIONS);
  const W = 64;
  const H = 48;
  /** A frame whose pixels depend on (frame, variant) everywhere. */
  function frame(n: number, variant = 0): Buffer {
    const png = new PNG({ width: W, height: H });
    for (let i = 0; i < png.data.length; i += 4)
      png.data.set([(i / 4 + n * 7 + variant * 50) % 256, (i / 8) % 256, n * 20, 255], i);
    return PNG.sync.write(png);
  }
  function crop(png: Buffer, r: { x: number; y: number; width: number; height: number }): Buffer {
    const src = PNG.sync.read(png);
    const dst = new PNG({ width: r.width, height: r.height });
    PNG.bitblt(src, dst, r.x, r.y, r.width, r.height, 0, 0);
    return PNG.sync.write(dst);
  }
  const task = (frames: number[], format: 'PNG' | 'OPEN_EXR' = 'PNG'): TaskSpec => ({
    index: 3,
    params: { frames, width: W, height: H, samples: 16, format, seed: 0, device: 'ANY', frameTimeoutSec: 60 },
    image: 'tessera/blender:3.4',
    requirements: { cpus: 1, memoryBytes: 2 ** 30, gpus: 0, vramBytes: 0 },
    timeoutSec: 600,
    inputs: [{ sha256: sha256Hex('scene'), size: 1000, path: 'scene.blend' }],
  });

  it('draws the same regions from the same seed, inside the frame, covering every frame of a short chunk', () => {
    const t = task([10, 11, 12]);
    const a = sut.sampleCheck(t, 3, seed('one'));
    expect(sut.sampleCheck(t, 3, seed('one'))).toEqual(a);
    expect(sut.sampleCheck(t, 3, seed('two'))).not.toEqual(a);
    expect(a).toHaveLength(5);
    expect(new Set(a.map((s) => s.item))).toEqual(new Set([0, 1, 2]));
    for (const s of a) {
      expect(s.key).toBe(`frame-${[10, 11, 12][s.item]}`);
      const r = s.region as { x: number; y: number; width: number; height: number };
      expect(r.x + r.width).toBeLessThanOrEqual(W);
      expect(r.y + r.height).toBeLessThanOrEqual(H);
      expect(r.width).toBeGreaterThanOrEqual(16);
    }
  });

  it('samples five distinct frames of a long chunk, and nothing of EXR frames', () => {
    const frames = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(new Set(sut.sampleCheck(task(frames), 40, seed('x')).map((s) => s.item)).size).toBe(5);
    expect(sut.sampleCheck(task([1, 2], 'OPEN_EXR'), 2, seed('x'))).toEqual([]);
  });

  it('builds a check task that renders just the regions with render.py --regions, on the provider’s kind of device', async () => {
    const t = task([10, 11]);
    const samples = sut.sampleCheck(t, 2, seed('s'));
    const check = await sut.checkTask(t, samples, ctx());
    expect(check.items).toBe(5);
    expect(check.params).toMatchObject({ device: 'CPU', check: { regions: expect.any(Array) } });
    const spec = sut.containerSpec({ ...check, index: 3 }, ctx().provider);
    const regions = spec.command[spec.command.indexOf('--regions') + 1];
    const first = (
      check.params.check as {
        regions: { frame: number; x: number; y: number; width: number; height: number }[];
      }
    ).regions[0];
    expect(regions.split(';')[0]).toBe(
      `${first.frame}:${first.x},${first.y},${first.x + first.width},${first.y + first.height}`,
    );
    expect(spec.command[spec.command.indexOf('--thumb-width') + 1]).toBe('0');
    const gpuProvider = {
      ...ctx().provider,
      gpus: [{ index: 0, name: 'RTX', vramBytes: 2 ** 34, driverVersion: '550', computeCapability: '8.9' }],
      images: [DEFAULT_RENDER_OPTIONS.gpuImage],
    };
    expect((await sut.checkTask(t, samples, ctx({ provider: gpuProvider }))).requirements.gpus).toBe(1);
  });

  it('accepts regions equal to the provider’s frames and rejects regions of other work, naming the sample', async () => {
    const t = task([10, 11]);
    const samples = sut.sampleCheck(t, 2, seed('cmp'));
    const claimed = [out('frame-000010.png', frame(10)), out('frame-000011.png', frame(11))];
    const honest = samples.map((s, i) => out(regionFileName(i), crop(frame(10 + s.item), s.region!)));
    const accepted = await sut.compareCheck(t, claimed, samples, honest, read, DEFAULT_THRESHOLDS);
    expect(accepted.verdict).toBe('accept');
    expect(accepted.samples.every((s) => s.psnr === Infinity)).toBe(true);

    const cheated = [out('frame-000010.png', frame(10, 1)), claimed[1]];
    const rejected = await sut.compareCheck(t, cheated, samples, honest, read, DEFAULT_THRESHOLDS);
    expect(rejected.verdict).toBe('reject');
    expect(rejected.reason).toMatch(/^frame-10: region \d+×\d+ at \d+,\d+: PSNR/);
  });

  it('rejects a frame the provider did not deliver, and is inconclusive about a region the verifier did not', async () => {
    const t = task([10]);
    const samples = sut.sampleCheck(t, 1, seed('m'));
    const honest = samples.map((s, i) => out(regionFileName(i), crop(frame(10), s.region!)));
    expect((await sut.compareCheck(t, [], samples, honest, read, DEFAULT_THRESHOLDS)).verdict).toBe('reject');
    const claimed = [out('frame-000010.png', frame(10))];
    const partial = await sut.compareCheck(t, claimed, samples, honest.slice(1), read, DEFAULT_THRESHOLDS);
    expect(partial.verdict).toBe('inconclusive');
    expect(partial.reason).toMatch(/verifier: .*regions\/000\.png/);
  });

  it('prices a check as the share of the chunk’s pixels its regions re-render', () => {
    const t = task([10, 11]);
    const samples = sut.sampleCheck(t, 2, seed('share'));
    const area = samples.reduce((sum, s) => sum + s.region!.width * s.region!.height, 0);
    expect(sut.checkShare(t, samples)).toBeCloseTo(area / (W * H * 2), 10);
    expect(sut.checkShare(t, samples)).toBeLessThan(1);
  });

  it('hashes sampled frames as the commitment does, and refuses items outside the chunk', async () => {
    const t = task([10, 11]);
    const claimed = [out('frame-000010.png', frame(10)), out('frame-000011.png', frame(11))];
    const all = await sut.commitItems(t, claimed, read);
    expect(await sut.itemHashes(t, claimed, [1, 0], read)).toEqual([all[1].sha256, all[0].sha256]);
    await expect(sut.itemHashes(t, claimed, [2], read)).rejects.toThrow(/outside this chunk/);
  });
});

describe('inference spot-checks', () => {
  const sut = new InferenceWorkload(DEFAULT_INFERENCE_OPTIONS);
  const image = sha256Hex('an image');
  const lines = Array.from({ length: 10 }, (_, i) =>
    JSON.stringify({
      id: i,
      image: i === 4 ? `images/${image}` : undefined,
      inputs: i === 4 ? undefined : { x: [[i]] },
    }),
  );
  const rowsFile = out('rows.jsonl', Buffer.from(lines.join('\n') + '\n'));
  const t: TaskSpec = {
    index: 2,
    params: {
      firstRow: 20,
      rows: 10,
      batchSize: 4,
      device: 'ANY',
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 1] }],
      outputs: [{ name: 'y', type: 'float32', dims: [-1, 1] }],
      preprocess: null,
      postprocess: null,
    },
    image: 'tessera/onnx:1',
    requirements: { cpus: 1, memoryBytes: 2 ** 30, gpus: 0, vramBytes: 0 },
    timeoutSec: 120,
    inputs: [
      { sha256: sha256Hex('model'), size: 10, path: 'model.onnx' },
      { sha256: rowsFile.sha256, size: rowsFile.size, path: 'rows.jsonl' },
      { sha256: image, size: 5, path: `images/${image}` },
      { sha256: sha256Hex('other'), size: 5, path: `images/${sha256Hex('other')}` },
    ],
  };
  const row = (n: number, y: number) =>
    JSON.stringify({ row: n, id: n - 20, outputs: { y: { dims: [1], data: [y] } } });

  it('samples six distinct rows and builds a shard of just those, with only the images they name', async () => {
    const samples = sut.sampleCheck(t, 10, seed('rows'));
    expect(samples).toHaveLength(6);
    expect(new Set(samples.map((s) => s.item)).size).toBe(6);
    const withImage = [...samples.filter((s) => s.item !== 4), { item: 4, key: 'row-24' }].slice(-6);
    const check = await sut.checkTask(t, withImage, ctx());
    expect(check).toMatchObject({
      items: 6,
      cacheKey: sha256Hex('model'),
      params: { firstRow: 0, rows: 6, batchSize: 4, check: { rows: withImage.map((s) => 20 + s.item) } },
    });
    const rows = check.inputs.find((i) => i.path === 'rows.jsonl')!;
    expect((files.get(rows.sha256) as Buffer).toString().trimEnd().split('\n')).toEqual(
      withImage.map((s) => lines[s.item]),
    );
    expect(check.inputs.map((i) => i.path).sort()).toEqual(
      ['images/' + image, 'model.onnx', 'rows.jsonl'].sort(),
    );
  });

  it('compares each sampled row with the verifier’s line for it, renumbered to the batch’s row', async () => {
    const samples = [
      { item: 1, key: 'row-21' },
      { item: 7, key: 'row-27' },
    ];
    const claimed = [
      out(
        'outputs.jsonl',
        Buffer.from(Array.from({ length: 10 }, (_, i) => row(20 + i, i / 10)).join('\n') + '\n'),
      ),
    ];
    const verifier = (ys: number[]) => [
      out(
        'outputs.jsonl',
        Buffer.from(
          ys
            .map((y, j) =>
              JSON.stringify({ row: j, id: samples[j].item, outputs: { y: { dims: [1], data: [y] } } }),
            )
            .join('\n') + '\n',
        ),
      ),
    ];
    expect(
      (await sut.compareCheck(t, claimed, samples, verifier([0.1, 0.7]), read, DEFAULT_THRESHOLDS)).verdict,
    ).toBe('accept');
    const off = await sut.compareCheck(t, claimed, samples, verifier([0.1, 0.9]), read, DEFAULT_THRESHOLDS);
    expect(off).toMatchObject({ verdict: 'reject', reason: expect.stringMatching(/^row-27: /) });
    const garbled = [out('outputs.jsonl', Buffer.from('not json\n'))];
    expect((await sut.compareCheck(t, claimed, samples, garbled, read, DEFAULT_THRESHOLDS)).verdict).toBe(
      'inconclusive',
    );
  });

  it('prices a check as its rows over the shard’s', () => {
    expect(sut.checkShare(t, sut.sampleCheck(t, 10, seed('r')))).toBeCloseTo(0.6, 10);
  });

  it('hashes sampled rows as the commitment does', async () => {
    const claimed = [
      out(
        'outputs.jsonl',
        Buffer.from(Array.from({ length: 10 }, (_, i) => row(20 + i, i)).join('\n') + '\n'),
      ),
    ];
    const [h] = await sut.itemHashes(t, claimed, [3], read);
    expect(h).toBe(sha256Hex(canonicalJson(JSON.parse(row(23, 3)))));
  });
});
