import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { CliError } from '../cli-error';
import { checkLocalFile, readHead, showHead } from '../files/local-file';
import { pool } from '../pool';

/**
 * The local rows file of `tessera infer`: JSONL, one row per line, `{"id"?, "image"}` for image
 * models or `{"id"?, "inputs"}` otherwise. `"image"` may be a local PNG/JPEG (relative to the rows
 * file), which the CLI uploads and replaces by its SHA-256; a SHA-256 is passed through. Blank lines
 * are kept, so the coordinator's line numbers (INVALID_ROWS) are the user's.
 */

/** Problems shown at most; the rest are counted. */
const MAX_PROBLEMS = 10;
const SHA256 = /^[0-9a-f]{64}$/i;
const ROW_FIELDS = ['id', 'image', 'inputs'];

export interface LocalImage {
  /** As the user would name it: relative to the working folder when below it. */
  shown: string;
  /** The first line naming it. */
  line: number;
  size: number;
}

export interface RowsScan {
  path: string;
  shown: string;
  /** Rows: the non-blank lines. */
  rows: number;
  /** Local image files by full path (each once, however many rows name it). */
  images: Map<string, LocalImage>;
  /** Lines whose `"image"` is a local path or an upper-case SHA-256: the ones rewritten. */
  rewrite: Set<number>;
  /** The first row with `"image"` and the first with `"inputs"` (line numbers), to check against the model. */
  firstImageLine?: number;
  firstInputsLine?: number;
}

/** PNG: `\x89PNG\r\n\x1a\n`; JPEG: `FF D8 FF`. */
export function looksLikeImage(head: Buffer): boolean {
  const png = head.length >= 8 && head.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex'));
  const jpeg = head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  return png || jpeg;
}

/** Why one parsed line cannot be a row, or undefined; records what the row needs. */
function checkRow(
  value: unknown,
  line: number,
  scan: RowsScan,
  local: Map<string, number>,
): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `a row must be a JSON object, not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`;
  const row = value as Record<string, unknown>;
  const unknown = Object.keys(row).find((k) => !ROW_FIELDS.includes(k));
  if (unknown) return `unknown field "${unknown}" (a row has "id" and "image", or "id" and "inputs")`;
  if (row.id !== undefined && row.id !== null) {
    if (typeof row.id !== 'string' && typeof row.id !== 'number') return '"id" must be a string or a number';
    if (typeof row.id === 'string' && row.id.length > 200) return '"id" is longer than 200 characters';
  }
  if (row.image !== undefined && row.inputs !== undefined) return 'a row has "image" or "inputs", not both';
  if (row.inputs !== undefined) {
    if (typeof row.inputs !== 'object' || row.inputs === null || Array.isArray(row.inputs))
      return '"inputs" must be an object: {"<input name>": nested list or {"dims", "data"}}';
    scan.firstInputsLine ??= line;
    return undefined;
  }
  if (row.image === undefined)
    return 'a row needs "image" (a PNG or JPEG file, or its SHA-256) or "inputs" (tensors by input name)';
  if (typeof row.image !== 'string' || row.image.trim() === '')
    return '"image" must be the path of a PNG or JPEG file (relative to the rows file) or its SHA-256';
  scan.firstImageLine ??= line;
  if (SHA256.test(row.image)) {
    if (row.image !== row.image.toLowerCase()) scan.rewrite.add(line);
    return undefined;
  }
  const full = resolve(dirname(scan.path), row.image);
  if (!local.has(full)) local.set(full, line);
  scan.rewrite.add(line);
  return undefined;
}

/**
 * Reads the rows file line by line (never whole) and checks everything that can be checked
 * locally: each line is a JSON object with known fields, and every local image exists and starts
 * like a PNG or JPEG. Throws one CliError listing the problems with their line numbers (at most 10,
 * then a count); nothing has been uploaded at that point.
 */
export async function scanRows(shown: string, cwd: string): Promise<RowsScan> {
  const path = resolve(cwd, shown);
  await checkLocalFile(path, shown, 'a rows file (JSONL, one row per line)');
  const scan: RowsScan = { path, shown, rows: 0, images: new Map(), rewrite: new Set() };
  const problems: { line: number; message: string }[] = [];
  const local = new Map<string, number>();
  let lineNo = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      lineNo++;
      if (!text.trim()) continue;
      scan.rows++;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        problems.push({
          line: lineNo,
          message: `not JSON: ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''}`,
        });
        continue;
      }
      const problem = checkRow(value, lineNo, scan, local);
      if (problem) problems.push({ line: lineNo, message: problem });
    }
  } catch (error) {
    throw new CliError(`cannot read ${shown}: ${(error as Error).message}`);
  } finally {
    lines.close();
  }

  // Each image once, however many rows name it; a problem is reported at the first such line.
  const entries = [...local.entries()];
  await pool(entries, 16, async ([full, line]) => {
    const name = relative(cwd, full).startsWith('..') ? full : relative(cwd, full);
    const info = await stat(full).catch(() => undefined);
    const message = !info
      ? `image ${name}: no such file (paths are relative to ${shown}'s folder)`
      : !info.isFile()
        ? `image ${name} is not a file`
        : info.size === 0
          ? `image ${name} is empty`
          : undefined;
    if (message) return void problems.push({ line, message });
    const head = await readHead(full, 8).catch(() => undefined);
    if (!head) return void problems.push({ line, message: `cannot read image ${name}` });
    if (!looksLikeImage(head))
      return void problems.push({
        line,
        message: `image ${name} is not a PNG or JPEG: it starts with ${showHead(head)}`,
      });
    scan.images.set(full, { shown: name, line, size: info!.size });
  });

  if (problems.length) {
    problems.sort((a, b) => a.line - b.line);
    const shownProblems = problems.slice(0, MAX_PROBLEMS).map((p) => `${shown} line ${p.line}: ${p.message}`);
    const more = problems.length - MAX_PROBLEMS;
    if (more > 0) shownProblems.push(`${shown}: and ${more} more problem${more > 1 ? 's' : ''}`);
    throw new CliError(`${shownProblems.join('\n')}\nnothing was uploaded`);
  }
  if (scan.rows === 0) throw new CliError(`${shown} has no rows: write one JSON object per line`);
  return scan;
}

/**
 * Checks the rows' kind against the model: an image model (one with a preprocess) takes `"image"`,
 * any other takes `"inputs"`. Throws naming the first row that does not fit.
 */
export function checkRowsFitModel(scan: RowsScan, model: string, takesImages: boolean): void {
  if (takesImages && scan.firstInputsLine !== undefined)
    throw new CliError(
      `${scan.shown} line ${scan.firstInputsLine}: model "${model}" takes images: rows need "image" (a PNG or JPEG file), not "inputs"`,
    );
  if (!takesImages && scan.firstImageLine !== undefined)
    throw new CliError(
      `${scan.shown} line ${scan.firstImageLine}: model "${model}" has no image preprocessing: rows need "inputs" (tensors by input name), not "image"; register it with a "preprocess" to send images`,
    );
}

/**
 * Writes the rows as the coordinator takes them to `dest`: local image paths replaced by their
 * SHA-256 (from `hashes`, by full path), every other line unchanged, blank lines kept. Returns the
 * SHA-256 and size of what was written.
 */
export async function writeRowsForUpload(
  scan: RowsScan,
  hashes: Map<string, string>,
  dest: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const out = createWriteStream(dest);
  const write = async (text: string) => {
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    hash.update(bytes);
    size += bytes.length;
    if (!out.write(bytes))
      await new Promise<void>((resolveDrain, reject) => {
        out.once('drain', () => resolveDrain());
        out.once('error', reject);
      });
  };
  const lines = createInterface({ input: createReadStream(scan.path), crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      if (!scan.rewrite.has(lineNo)) {
        await write(text.trim() ? text : '');
        continue;
      }
      const row = JSON.parse(text) as { image: string };
      const image = SHA256.test(row.image)
        ? row.image.toLowerCase()
        : hashes.get(resolve(dirname(scan.path), row.image));
      if (!image)
        throw new CliError(`${scan.shown} line ${lineNo} changed while it was being sent: run again`);
      await write(JSON.stringify({ ...row, image }));
    }
  } finally {
    lines.close();
    out.end();
    await finished(out).catch(() => undefined);
  }
  return { sha256: hash.digest('hex'), size };
}
