import type { Output } from '../cli-context';
import type { TesseraApi } from '../api/tessera-api';
import { sha256File } from '../files/blend-file';
import { pool } from '../pool';
import { formatBytes, plural } from '../ui/format';
import { TransferProgress } from '../ui/transfer-progress';
import type { RowsScan } from './rows-file';

/** Images are many and small: a few transfers in flight keep the connection busy. */
const CONCURRENCY = 4;

/**
 * Hashes the rows' local images and uploads those the coordinator does not have yet for this
 * account, each distinct content once (two paths with the same bytes are one upload), with one bar
 * over all the bytes to send. Returns each image's SHA-256 by full path.
 */
export async function uploadImages(
  api: TesseraApi,
  out: Output,
  scan: RowsScan,
): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const images = [...scan.images.entries()];
  if (images.length === 0) return hashes;
  const totalBytes = images.reduce((sum, [, image]) => sum + image.size, 0);

  const hashing = new TransferProgress(out, `hashing ${plural(images.length, 'image')}`, totalBytes);
  try {
    await pool(images, CONCURRENCY, async ([path]) => {
      hashes.set(path, await sha256File(path, (n) => hashing.add(n)));
    });
  } finally {
    hashing.abandon();
  }

  const sizes = new Map<string, number>();
  for (const [path, image] of images) sizes.set(hashes.get(path)!, image.size);
  const missing: { sha256: string; path: string; size: number }[] = [];
  const byHash = new Map<string, string>();
  for (const [path] of images) if (!byHash.has(hashes.get(path)!)) byHash.set(hashes.get(path)!, path);
  await pool([...byHash.entries()], 8, async ([sha256, path]) => {
    if (!(await api.blobs.exists(sha256))) missing.push({ sha256, path, size: sizes.get(sha256)! });
  });

  const distinct = byHash.size;
  const dupes = images.length - distinct;
  const note = `${plural(images.length, 'image')} (${formatBytes(totalBytes)}${dupes ? `, ${dupes} identical to another` : ''})`;
  if (missing.length === 0) {
    out.write(`${note}: all already uploaded\n`);
    return hashes;
  }
  const bytes = missing.reduce((sum, m) => sum + m.size, 0);
  const already = distinct - missing.length;
  out.write(`${note}: uploading ${missing.length}${already ? `, ${already} already uploaded` : ''}\n`);
  const upload = new TransferProgress(out, `uploading ${plural(missing.length, 'image')}`, bytes, {
    milestones: true,
  });
  try {
    await pool(missing, CONCURRENCY, (m) => api.blobs.upload(m.path, m.sha256, m.size, (n) => upload.add(n)));
  } catch (error) {
    upload.abandon();
    throw error;
  }
  upload.finish(`uploaded ${plural(missing.length, 'image')}`);
  return hashes;
}
