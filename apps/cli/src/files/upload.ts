import type { Output } from '../cli-context';
import type { TesseraApi } from '../api/tessera-api';
import { formatBytes, shortHash } from '../ui/format';
import { TransferProgress } from '../ui/transfer-progress';
import { sha256File } from './blend-file';

/** A local file to send: its full path, size, and the name the user knows it by. */
export interface LocalUpload {
  path: string;
  size: number;
  shown: string;
}

/** Hashes a file with a progress bar (terminals only) and returns its SHA-256. */
export async function hashFile(out: Output, file: LocalUpload): Promise<string> {
  const hashing = new TransferProgress(out, `hashing ${file.shown}`, file.size);
  try {
    return await sha256File(file.path, (n) => hashing.add(n));
  } finally {
    hashing.abandon();
  }
}

/**
 * Uploads a hashed file to `/v1/blobs/<sha256>` unless the coordinator already has it for this
 * account (then it says so and sends nothing). Uploads show a bar, or quarter milestones off a
 * terminal, and end with a summary line.
 */
export async function uploadUnlessPresent(
  api: TesseraApi,
  out: Output,
  file: LocalUpload,
  sha256: string,
): Promise<void> {
  if (await api.blobs.exists(sha256)) {
    out.write(`${file.shown} (${formatBytes(file.size)}, sha256 ${shortHash(sha256)}) is already uploaded\n`);
    return;
  }
  const upload = new TransferProgress(out, `uploading ${file.shown}`, file.size, { milestones: true });
  try {
    await api.blobs.upload(file.path, sha256, file.size, (n) => upload.add(n));
  } catch (error) {
    upload.abandon();
    throw error;
  }
  upload.finish(`uploaded ${file.shown}`);
}

/** Hash, then upload unless present: the SHA-256 by which the API refers to the file. */
export async function hashAndUpload(api: TesseraApi, out: Output, file: LocalUpload): Promise<string> {
  const sha256 = await hashFile(out, file);
  await uploadUnlessPresent(api, out, file, sha256);
  return sha256;
}
