import type { LineProblem } from '../api/errors';
import { formatBytes } from './format';

/**
 * Images picked in the browser for a batch of an image model, as `tessera infer` does with local
 * files: a row's `"image"` may name a picked file (by its name, or its path inside a picked folder),
 * which is hashed, uploaded once, and replaced by its SHA-256 before the rows are sent; a SHA-256 is
 * passed through (lower-cased, as the coordinator takes it). Blank lines are kept, so line numbers
 * stay the user's and the coordinator's.
 */

/**
 * The most one picked image may weigh. The browser reads each one whole to hash it, and a line of
 * text or a scanned field is a few kilobytes; the worker decodes at most 50 megapixels anyway.
 */
export const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/** Problems listed next to the images field; the rest are counted (as for the rows). */
const SHOWN_PROBLEMS = 5;

const SHA256 = /^[0-9a-f]{64}$/i;

/** A picked file as the form sees it. */
export interface PickedImage {
  name: string;
  /** The path inside a picked folder (`webkitRelativePath`), or the name for files picked one by one. */
  path: string;
  size: number;
}

export interface ImagePlan {
  /** The picked files the rows name (indexes into the picked list), each once, in the order first named. */
  files: number[];
  /** The lines to rewrite (1-based): the picked file each names, or the SHA-256 it carries, lower-cased. */
  lines: Map<number, { file: number } | { sha256: string }>;
  /** The first line naming each picked file: where a problem with that file is reported. */
  firstLine: Map<number, number>;
  problems: LineProblem[];
  /** Problems beyond the ones listed. */
  more: number;
}

/** "scans\\./a.png" → ["scans", "a.png"]: the segments a name is matched on. */
function segments(path: string): string[] {
  return path.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/** True when `name` is `path` or its tail on a folder boundary ("a.png" ends "batch/a.png"). */
function endsWith(path: string[], name: string[]): boolean {
  if (name.length > path.length) return false;
  const offset = path.length - name.length;
  return name.every((s, i) => path[offset + i] === s);
}

/**
 * Matches each row's `"image"` to the picked files. A name matches a file whose path it is or ends
 * (so `line-001.png` finds `lines/line-001.png` in a picked folder); a full path beats a shorter
 * match, and a name two files end with is refused rather than guessed. Lines that are not JSON
 * objects with a string `"image"` are left alone: the syntax check and the coordinator name those.
 */
export function planRowImages(
  text: string,
  picked: readonly PickedImage[],
  maxBytes = MAX_IMAGE_BYTES,
): ImagePlan {
  const plan: ImagePlan = { files: [], lines: new Map(), firstLine: new Map(), problems: [], more: 0 };
  const note = (line: number, message: string) => {
    if (plan.problems.length < SHOWN_PROBLEMS) plan.problems.push({ line, message });
    else plan.more++;
  };
  const paths = picked.map((p) => segments(p.path || p.name));

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let row: unknown;
    try {
      row = lines[i].trim() ? JSON.parse(lines[i]) : undefined;
    } catch {
      continue;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) continue;
    const image = (row as { image?: unknown }).image;
    if (typeof image !== 'string') continue;
    if (SHA256.test(image)) {
      if (image !== image.toLowerCase()) plan.lines.set(lineNo, { sha256: image.toLowerCase() });
      continue;
    }

    const name = segments(image);
    const shown = JSON.stringify(image);
    if (!name.length) {
      note(lineNo, '"image" must name a picked image file, or be the SHA-256 of an uploaded one');
      continue;
    }
    let matches = paths.flatMap((p, index) => (endsWith(p, name) ? [index] : []));
    const exact = matches.filter((index) => paths[index].length === name.length);
    if (exact.length) matches = exact;
    if (matches.length === 0) {
      note(
        lineNo,
        picked.length
          ? `image ${shown} is not among the ${picked.length} picked file${picked.length === 1 ? '' : 's'}`
          : `image ${shown} names a file, and no images are picked: pick it under Images, or give the SHA-256 of an uploaded image`,
      );
      continue;
    }
    if (matches.length > 1) {
      const which = matches.slice(0, 3).map((index) => picked[index].path || picked[index].name);
      note(
        lineNo,
        `image ${shown} matches ${matches.length} picked files (${which.join(', ')}${matches.length > 3 ? ', …' : ''}): name it by its path in the folder`,
      );
      continue;
    }

    const file = matches[0];
    plan.lines.set(lineNo, { file });
    if (plan.firstLine.has(file)) continue;
    plan.firstLine.set(file, lineNo);
    plan.files.push(file);
    const { size } = picked[file];
    if (size === 0) note(lineNo, `image ${shown} is empty`);
    else if (size > maxBytes)
      note(
        lineNo,
        `image ${shown} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for one image`,
      );
  }
  plan.problems.sort((a, b) => a.line - b.line);
  return plan;
}

/**
 * The rows as the coordinator takes them: each planned line with `"image"` replaced by the SHA-256
 * of the file it names (`hashes`, by picked index) or its lower-cased digest, every other line as
 * written (blank ones blank), newline-terminated.
 */
export function rewriteRowImages(text: string, plan: ImagePlan, hashes: ReadonlyMap<number, string>): string {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const out = lines.map((line, i) => {
    const target = plan.lines.get(i + 1);
    if (!target) return line.trim() ? line : '';
    const sha256 = 'file' in target ? hashes.get(target.file) : target.sha256;
    if (!sha256) throw new Error(`line ${i + 1}: its picked image has no SHA-256 yet`);
    return JSON.stringify({ ...(JSON.parse(line) as object), image: sha256 });
  });
  return `${out.join('\n')}\n`;
}

/** PNG (`\x89PNG\r\n\x1a\n`) or JPEG (`FF D8 FF`), by the first bytes: what the worker decodes. */
export function looksLikeImage(head: Uint8Array): boolean {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const isPng = head.length >= 8 && png.every((b, i) => head[i] === b);
  const isJpeg = head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  return isPng || isJpeg;
}

/** The first bytes of a file that is not an image, readable: `"hello wo"`, `"PK.....\u0000"` as dots. */
export function showHead(head: Uint8Array, bytes = 8): string {
  return JSON.stringify(String.fromCharCode(...head.slice(0, bytes)).replace(/[^\x20-\x7e]/g, '.'));
}

/** What went wrong with one picked file once it was read or sent. */
export interface ImageFailure {
  /** Index into the picked files. */
  file: number;
  message: string;
}

/** Each failure at the first line naming its file: `line 3: image "a.png" did not upload: …`. */
export function failureLines(
  failures: readonly ImageFailure[],
  plan: ImagePlan,
  picked: readonly PickedImage[],
): { problems: LineProblem[]; more: number } {
  const problems = failures
    .map((f) => ({
      line: plan.firstLine.get(f.file) ?? 0,
      message: `image ${JSON.stringify(picked[f.file].path || picked[f.file].name)} ${f.message}`,
    }))
    .sort((a, b) => a.line - b.line);
  return { problems: problems.slice(0, SHOWN_PROBLEMS), more: Math.max(0, problems.length - SHOWN_PROBLEMS) };
}

/** Where the images of a batch stand, for one progress bar over all of them. */
export interface ImagesProgress {
  step: 'hashing' | 'checking' | 'uploading';
  /** Images hashed (hashing) or known to be stored (checking, uploading), of `total`. */
  done: number;
  total: number;
  /** Bytes hashed or sent so far, of `bytes`. */
  sent: number;
  bytes: number;
}

/** "Uploading images: 3 of 12 · 40 KiB of 120 KiB": the line under the progress bar. */
export function describeProgress(p: ImagesProgress): string {
  const bytes = `${formatBytes(p.sent)} of ${formatBytes(p.bytes)}`;
  switch (p.step) {
    case 'hashing':
      return `Hashing images: ${p.done} of ${p.total} · ${bytes}`;
    case 'checking':
      return `Checking which of ${p.total} images are already uploaded…`;
    case 'uploading':
      return `Uploading images: ${p.done} of ${p.total} stored · ${bytes} sent`;
  }
}

/** The part of the work done, by bytes (hashing and uploading each take their own pass). */
export function progressFraction(p: ImagesProgress): number {
  if (p.step === 'checking') return 0;
  return p.bytes ? p.sent / p.bytes : p.total ? p.done / p.total : 0;
}
