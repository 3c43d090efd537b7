import { createHash } from 'node:crypto';
import { constants, Stats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTAINER_OUTPUT_DIR, ContainerSpec, OutputFile, relativePath } from '@tessera/protocol';
import { RunnerError } from './runner-error';

export type OutputLimits = Pick<ContainerSpec['limits'], 'outputBytes' | 'outputFiles'>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
// Control characters in a name would end up in logs, HTTP headers and customers' shells.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

interface FoundFile {
  path: string;
  absolute: string;
  size: number;
}

/**
 * Lists and hashes every file a finished task left in `outputDir`, sorted by path. Call it only after
 * the container is gone (after `DockerRunner.run` returned): nothing may change the directory while
 * it is read. Guarantees: the agent never follows a link the task made (symlinks are refused, files
 * are opened with O_NOFOLLOW), so a task cannot make the agent read or upload host files; every
 * returned path satisfies the protocol's `relativePath` and has no control characters; the limits
 * are checked on sizes before anything is hashed. Empty directories are ignored. Throws
 * `RunnerError('OUTPUT_INVALID')` naming the offending path and the limit.
 */
export async function checkOutputs(outputDir: string, limits: OutputLimits): Promise<OutputFile[]> {
  const found = await walkOutputs(outputDir, limits);
  const outputs: OutputFile[] = [];
  for (const file of found) {
    outputs.push({ path: file.path, size: file.size, sha256: await hashRegularFile(file) });
  }
  return outputs;
}

/**
 * Whether the task has already written more than its output limits allow, measured with lstat while
 * the container is still running (files may vanish under us: those are skipped). Stops counting as
 * soon as a limit is passed, so a directory with millions of entries costs no more than the limit.
 * The run loop uses it to kill a task before it fills the host's disk.
 */
export async function outputsExceedLimits(outputDir: string, limits: OutputLimits): Promise<string | null> {
  let files = 0;
  let bytes = 0;
  const stack = [outputDir];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // removed or replaced while we looked: the final check will see what is left
    }
    for (const name of names) {
      let stats: Stats;
      try {
        stats = await lstat(join(dir, name));
      } catch {
        continue;
      }
      if (stats.isDirectory()) stack.push(join(dir, name));
      files += 1;
      bytes += stats.isFile() ? stats.size : 0;
      if (files > limits.outputFiles * 2) return `more than ${limits.outputFiles * 2} entries in /out`;
      if (bytes > limits.outputBytes) return `more than ${formatBytes(limits.outputBytes)} written to /out`;
    }
  }
  return null;
}

async function walkOutputs(outputDir: string, limits: OutputLimits): Promise<FoundFile[]> {
  const root = await lstat(outputDir);
  if (!root.isDirectory()) throw new RunnerError('AGENT_ERROR', `the output directory ${outputDir} is gone`);

  const files: FoundFile[] = [];
  let totalBytes = 0;
  let directories = 0;
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relDir = pending.pop() as string;
    const absDir = relDir === '' ? outputDir : join(outputDir, relDir);
    for (const raw of await readdir(absDir, { encoding: 'buffer' })) {
      const relPath = safeRelativePath(relDir, raw);
      const absolute = join(absDir, raw.toString('utf8'));
      const stats = await lstat(absolute);
      if (stats.isSymbolicLink()) {
        throw invalid(`${relPath} is a symbolic link; write regular files to ${CONTAINER_OUTPUT_DIR}`);
      }
      if (stats.isDirectory()) {
        directories += 1;
        if (directories > limits.outputFiles) {
          throw invalid(`more than ${limits.outputFiles} directories in ${CONTAINER_OUTPUT_DIR}`);
        }
        pending.push(relPath);
        continue;
      }
      if (!stats.isFile()) {
        throw invalid(`${relPath} is a ${fileKind(stats)}, not a regular file`);
      }
      files.push({ path: relPath, absolute, size: stats.size });
      totalBytes += stats.size;
      if (files.length > limits.outputFiles) {
        throw invalid(`more than ${limits.outputFiles} output files (the limit for this task)`);
      }
      if (totalBytes > limits.outputBytes) {
        throw invalid(
          `outputs exceed the limit of ${formatBytes(limits.outputBytes)} (reached ${formatBytes(totalBytes)} at ${relPath})`,
        );
      }
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The path of one directory entry, or OUTPUT_INVALID when it could not be named safely. */
function safeRelativePath(relDir: string, raw: Buffer): string {
  let name: string;
  try {
    name = utf8.decode(raw);
  } catch {
    throw invalid(`a file name in ${relDir === '' ? CONTAINER_OUTPUT_DIR : relDir} is not valid UTF-8`);
  }
  const path = relDir === '' ? name : `${relDir}/${name}`;
  if (CONTROL.test(name)) throw invalid(`${JSON.stringify(path)} contains control characters`);
  const parsed = relativePath.safeParse(path);
  if (!parsed.success) {
    throw invalid(`${JSON.stringify(path)} is not a safe relative path (${parsed.error.issues[0]?.message})`);
  }
  return path;
}

/** SHA-256 of a file opened without following links, checked to be the regular file we listed. */
async function hashRegularFile(file: FoundFile): Promise<string> {
  const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== file.size) {
      throw invalid(`${file.path} changed while it was being checked`);
    }
    const hash = createHash('sha256');
    let read = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      read += (chunk as Buffer).length;
    }
    if (read !== file.size) throw invalid(`${file.path} changed while it was being read`);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'special file';
}

function invalid(message: string): RunnerError {
  return new RunnerError('OUTPUT_INVALID', message);
}

/** `1536` → `1.5 KiB`; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return unit === 'bytes' ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${unit}`;
}
