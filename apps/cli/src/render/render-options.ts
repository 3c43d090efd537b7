import { CliError } from '../cli-error';
import type { SubmitRenderJobInput } from '../api/operations';

/**
 * Local checks of `tessera render` options, mirroring what the coordinator enforces, so that a
 * typo is reported before a large .blend is hashed and uploaded. The coordinator stays the
 * authority: it also checks frames against the scene's own range.
 */

/** Most frames one job may ask for (the coordinator's limit). */
export const MAX_FRAMES = 100_000;
export const MAX_SIDE = 16_384;
export const MIN_SIDE = 4;

/** The options as typed on the command line. */
export interface RenderFlags {
  name?: string;
  frames?: string;
  samples?: string;
  resolution?: string;
  percentage?: string;
  format?: string;
  seed?: string;
  device?: string;
  maxPrice?: string;
  chunkSize?: string;
}

/**
 * `1-48`, `1-48x2` (every 2nd), `1,5,10-12`, or a mix; negative frames as Blender allows. Returns
 * the number of frames, or throws an Error saying what is wrong.
 */
export function countFrames(spec: string): number {
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    throw new Error(`"${spec}" is not a frame list (e.g. 1-48, 1-48x2, 1,5,10-12)`);
  let count = 0;
  for (const part of parts) {
    const m = /^(-?\d+)(?:-(-?\d+)(?:x(\d+))?)?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a frame, a range like 1-48 or a stepped range like 1-48x2`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (end < start) throw new Error(`"${part}": the range ends before it starts`);
    if (step < 1) throw new Error(`"${part}": the step must be at least 1`);
    // Overlapping parts are counted twice: only an upper bound is needed here.
    count += Math.floor((end - start) / step) + 1;
    if (count > MAX_FRAMES) throw new Error(`more than ${MAX_FRAMES} frames`);
  }
  return count;
}

/** `640x360` → width and height, each 4..16384 px. */
export function parseResolution(text: string): { width: number; height: number } {
  const m = /^(\d+)[xX×](\d+)$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not WIDTHxHEIGHT, e.g. 1920x1080`);
  const [width, height] = [Number(m[1]), Number(m[2])];
  for (const [side, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (value < MIN_SIDE || value > MAX_SIDE)
      throw new Error(`${side} ${value} px is outside ${MIN_SIDE}..${MAX_SIDE}`);
  }
  return { width, height };
}

/** A whole number in min..max, or an Error saying what is wrong. */
export function integer(text: string, min: number, max: number, what: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new Error(`"${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new Error(`${what} must be ${min}..${max}, not ${n}`);
  return n;
}

/** One of `values`, case-insensitively, or an Error listing them. */
export function oneOf<T extends string>(text: string, values: readonly T[]): T {
  const upper = text.trim().toUpperCase();
  const found = values.find((v) => v === upper);
  if (!found) throw new Error(`"${text}" is not one of ${values.map((v) => v.toLowerCase()).join(', ')}`);
  return found;
}

/**
 * Turns the flags into a SubmitRenderJobInput (minus `blend`), leaving unset what the user left
 * unset so the coordinator applies its defaults. Every bad option is reported at once, one per line.
 */
export function buildRenderInput(
  flags: RenderFlags,
  defaultName: string,
): Omit<SubmitRenderJobInput, 'blend'> {
  const problems: string[] = [];
  const input: Omit<SubmitRenderJobInput, 'blend'> = {};
  const check = (option: string, value: string | undefined, apply: (v: string) => void) => {
    if (value === undefined) return;
    try {
      apply(value);
    } catch (error) {
      problems.push(`${option}: ${(error as Error).message}`);
    }
  };
  check('--name', flags.name ?? defaultName, (v) => {
    if (v.length > 200) throw new Error('at most 200 characters');
    input.name = v;
  });
  check('--frames', flags.frames, (v) => {
    countFrames(v);
    input.frames = v.replace(/\s+/g, '');
  });
  check('--samples', flags.samples, (v) => (input.samples = integer(v, 1, 65_536, 'samples')));
  if (flags.resolution !== undefined && flags.percentage !== undefined)
    problems.push('--resolution and --percentage: give one or the other');
  check('--resolution', flags.resolution, (v) => {
    const { width, height } = parseResolution(v);
    input.resolution = `${width}x${height}`;
  });
  check(
    '--percentage',
    flags.percentage,
    (v) => (input.resolutionPercentage = integer(v, 1, 100, 'the percentage')),
  );
  check('--format', flags.format, (v) => (input.format = oneOf(v, ['PNG', 'EXR'] as const)));
  check('--seed', flags.seed, (v) => (input.seed = integer(v, 0, 2 ** 31 - 1, 'the seed')));
  check('--device', flags.device, (v) => (input.device = oneOf(v, ['ANY', 'CPU', 'GPU'] as const)));
  check('--max-price', flags.maxPrice, (v) => {
    if (!/^\d+(\.\d+)?$/.test(v.trim())) throw new Error(`"${v}" is not a token amount such as 12.5`);
    input.maxPrice = v.trim();
  });
  check('--chunk-size', flags.chunkSize, (v) => (input.chunkSize = integer(v, 1, 10_000, 'the chunk size')));
  if (problems.length) throw new CliError(problems.join('\n'));
  return input;
}
