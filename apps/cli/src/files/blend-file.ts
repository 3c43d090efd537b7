import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { CliError } from '../cli-error';

/**
 * How .blend files start: `BLENDER` uncompressed, or gzip (Blender < 3.0) / zstd (3.0+) when saved
 * with "Compress". The coordinator accepts the same three (and then has Blender open the file).
 */
export function looksLikeBlend(head: Buffer): boolean {
  return (
    head.toString('latin1', 0, 7) === 'BLENDER' ||
    (head[0] === 0x1f && head[1] === 0x8b) ||
    (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
  );
}

export interface BlendFile {
  path: string;
  size: number;
  /** The file name without `.blend`: the default job name and output folder. */
  sceneName: string;
}

/** Checks that `path` is a readable, non-empty .blend before anything is hashed or uploaded. */
export async function checkBlendFile(path: string, cwd: string): Promise<BlendFile> {
  const full = resolve(cwd, path);
  let size: number;
  try {
    const info = await stat(full);
    if (info.isDirectory()) throw new CliError(`${path} is a folder, not a .blend file`);
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  if (size === 0) throw new CliError(`${path} is empty, not a .blend file`);
  const head = Buffer.alloc(12);
  const handle = await open(full, 'r').catch((error: Error) => {
    throw new CliError(`cannot read ${path}: ${error.message}`);
  });
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  if (!looksLikeBlend(head)) {
    const shown = JSON.stringify(
      head
        .subarray(0, Math.min(size, 8))
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '.'),
    );
    throw new CliError(
      `${path} is not a .blend file: it starts with ${shown}, not "BLENDER" (save it from Blender, with File > External Data > Pack Resources)`,
    );
  }
  const sceneName = basename(full, extname(full)) || 'scene';
  return { path: full, size, sceneName };
}

/** SHA-256 of a file, streamed (constant memory at any size), reporting bytes read. */
export async function sha256File(path: string, onBytes: (n: number) => void = () => {}): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return hash.digest('hex');
}
