import { crc32 } from 'node:zlib';
import { PNG, PNGOptions } from 'pngjs';
import { sha256Hex } from '@tessera/crypto';
import type { OutputFile } from '@tessera/protocol';
import { TaskSpec, WorkloadOutputError } from '../workload';
import { RenderWorkload } from './render.workload';

const sut = new RenderWorkload({
  image: 'tessera/blender:3.4',
  gpuImage: 'tessera/blender:3.4-cuda',
  targetChunkSeconds: 60,
  checkRegions: 5,
  checkRegionFraction: 1 / 16,
});

const WIDTH = 8;
const HEIGHT = 6;

/** Opaque RGBA pixels that differ from frame to frame. */
function pixels(seed: number, width = WIDTH, height = HEIGHT): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([(i + seed) % 256, (i * 3) % 256, seed % 256, 255], i);
  return data;
}

function encode(data: Buffer, options: PNGOptions = {}, width = WIDTH, height = HEIGHT): Buffer {
  const png = new PNG({ width, height, ...options });
  data.copy(png.data);
  return PNG.sync.write(png, options);
}

/** The PNG with a tEXt chunk inserted right after IHDR (pngjs writes none). */
function withText(png: Buffer, keyword: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(`${keyword}\0${text}`, 'latin1')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  const afterIhdr = 8 + 8 + 13 + 4; // signature, IHDR length and type, its 13 bytes, CRC
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}

const files = new Map<string, Buffer>();
function out(path: string, bytes: Buffer): OutputFile {
  const sha256 = sha256Hex(bytes);
  files.set(sha256, bytes);
  return { path, sha256, size: bytes.length };
}
const read = async (file: OutputFile, maxBytes?: number) =>
  (files.get(file.sha256) as Buffer).subarray(0, maxBytes);

function task(frames: number[], format: 'PNG' | 'OPEN_EXR' = 'PNG'): TaskSpec {
  return {
    index: 0,
    params: {
      frames,
      width: WIDTH,
      height: HEIGHT,
      samples: 1,
      format,
      seed: 0,
      device: 'ANY',
      frameTimeoutSec: 10,
    },
    image: 'x',
    timeoutSec: 1,
    inputs: [],
    requirements: { cpus: 1, memoryBytes: 1, gpus: 0, vramBytes: 0 },
  };
}

describe('RenderWorkload.commitItems', () => {
  it('gives one item per frame, in frame order, hashed over the size line and the RGBA8 pixels', async () => {
    const outputs = [
      out('thumbs/frame-000007.png', encode(pixels(99), {}, 4, 3)),
      out('frame-000007.png', encode(pixels(7))),
      out('frame-000003.png', encode(pixels(3))),
    ];
    const items = await sut.commitItems(task([3, 7]), outputs, read);
    expect(items).toEqual([
      { key: 'frame-3', sha256: sha256Hex(Buffer.concat([Buffer.from(`${WIDTH}x${HEIGHT}\n`), pixels(3)])) },
      { key: 'frame-7', sha256: sha256Hex(Buffer.concat([Buffer.from(`${WIDTH}x${HEIGHT}\n`), pixels(7)])) },
    ]);
  });

  it('hashes the same pixels equally whatever the PNG metadata and encoding', async () => {
    const plain = encode(pixels(1));
    const variants = [
      withText(plain, 'Software', 'Blender 3.4.1'),
      withText(withText(plain, 'Date', '2026-11-24 12:00:00'), 'File', '/tmp/scene.blend'),
      encode(pixels(1), { deflateLevel: 0, filterType: 0 }),
      encode(pixels(1), { colorType: 2 }), // RGB without alpha: alpha reads as 255
    ];
    expect(new Set(variants.map(sha256Hex)).size).toBe(variants.length); // the files all differ
    const hash = async (png: Buffer) =>
      (await sut.commitItems(task([1]), [out('frame-000001.png', png)], read))[0];
    const reference = await hash(plain);
    for (const variant of variants) expect(await hash(variant)).toEqual(reference);
  });

  it('hashes a changed pixel, or the same bytes at another size, differently', async () => {
    const hash = async (png: Buffer) =>
      (await sut.commitItems(task([1]), [out('frame-000001.png', png)], read))[0].sha256;
    const changed = pixels(1);
    changed[4 * 10] ^= 1;
    expect(await hash(encode(changed))).not.toBe(await hash(encode(pixels(1))));
    // 8×6 and 6×8 hold the same 192 bytes: the size line tells them apart.
    expect(await hash(encode(pixels(1), {}, HEIGHT, WIDTH))).not.toBe(await hash(encode(pixels(1))));
  });

  it('hashes EXR frames by their file bytes', async () => {
    const exr = Buffer.concat([Buffer.from([0x76, 0x2f, 0x31, 0x01]), Buffer.from('scanlines')]);
    const items = await sut.commitItems(task([2], 'OPEN_EXR'), [out('frame-000002.exr', exr)], read);
    expect(items).toEqual([{ key: 'frame-2', sha256: sha256Hex(exr) }]);
  });

  it('refuses a chunk with a frame missing or not decoding', async () => {
    const good = out('frame-000001.png', encode(pixels(1)));
    await expect(sut.commitItems(task([1, 2]), [good], read)).rejects.toThrow(WorkloadOutputError);
    const truncated = encode(pixels(2)).subarray(0, 40);
    await expect(
      sut.commitItems(task([1, 2]), [good, out('frame-000002.png', truncated)], read),
    ).rejects.toThrow(/frame 2 does not decode/);
  });
});
