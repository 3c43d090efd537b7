import { open, stat } from 'node:fs/promises';
import { CliError } from '../cli-error';

/**
 * The size of a readable, non-empty regular file, or a CliError in the user's words: `shown: no such
 * file`, `shown is a folder, not <what>`, `shown is empty, not <what>`.
 */
export async function checkLocalFile(full: string, shown: string, what: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(full);
    if (info.isDirectory()) throw new CliError(`${shown} is a folder, not ${what}`);
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${shown}: no such file` : `cannot read ${shown}: ${(error as Error).message}`,
    );
  }
  if (size === 0) throw new CliError(`${shown} is empty, not ${what}`);
  return size;
}

/** The first `bytes` bytes of a file (fewer when it is shorter). */
export async function readHead(full: string, bytes: number): Promise<Buffer> {
  const head = Buffer.alloc(bytes);
  const handle = await open(full, 'r');
  try {
    const { bytesRead } = await handle.read(head, 0, bytes, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A file's first bytes as readable text for messages: `"GIF89a.."`. */
export function showHead(head: Buffer, bytes = 8): string {
  return JSON.stringify(
    head
      .subarray(0, bytes)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.'),
  );
}
