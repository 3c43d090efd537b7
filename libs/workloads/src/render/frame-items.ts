import { createHash } from 'node:crypto';
import type { OutputFile } from '@tessera/protocol';
import { CommittedItem, OutputReader, WorkloadOutputError } from '../workload';
import { frameFileName } from './frames';
import { decodePngRgba8 } from './image-check';

/**
 * The canonical hash of a decoded frame: SHA-256 over the ASCII line `<width>x<height>\n` followed
 * by its pixels as 8-bit RGBA, row by row from the top. Two PNGs with the same pixels hash equally
 * whatever their compression, filters, bit depth or metadata chunks.
 */
export function pixelsSha256(image: { width: number; height: number; data: Buffer }): string {
  return createHash('sha256')
    .update(`${image.width}x${image.height}\n`, 'latin1')
    .update(image.data)
    .digest('hex');
}

/**
 * A render chunk's items: one per frame, in frame order, keyed `frame-<n>`. PNG frames are hashed
 * by their pixels (pixelsSha256); OpenEXR frames by their file bytes, as they stand (no canonical
 * form for EXR yet: the same pixels in another compression hash differently).
 */
export async function frameItems(
  t: { frames: number[]; format: 'PNG' | 'OPEN_EXR' },
  outputs: OutputFile[],
  read: OutputReader,
  /** Pixel hashes already computed for these files (by the deep check), by file SHA-256. */
  known: ReadonlyMap<string, string> = new Map(),
): Promise<CommittedItem[]> {
  const byPath = new Map(outputs.map((o) => [o.path, o]));
  const items: CommittedItem[] = [];
  for (const frame of t.frames) {
    const file = byPath.get(frameFileName(frame, t.format));
    if (!file) throw new WorkloadOutputError(`frame ${frame} is missing`);
    const key = `frame-${frame}`;
    if (t.format === 'OPEN_EXR') {
      items.push({
        key,
        sha256: createHash('sha256')
          .update(await read(file))
          .digest('hex'),
      });
      continue;
    }
    const hashed = known.get(file.sha256);
    if (hashed) {
      items.push({ key, sha256: hashed });
      continue;
    }
    let image: { width: number; height: number; data: Buffer };
    try {
      image = decodePngRgba8(await read(file));
    } catch (error) {
      throw new WorkloadOutputError(`frame ${frame} does not decode: ${(error as Error).message}`);
    }
    items.push({ key, sha256: pixelsSha256(image) });
  }
  return items;
}
