import type { TensorSignature } from '../inference/model';
import { DEFAULT_THRESHOLDS, RowThresholds } from './thresholds';

// Compares one inference row as the provider wrote it with the verifier's re-execution of that row
// (docker/workers/onnx: outputs.jsonl, one line per row). What each kind of output must satisfy:
// - both lines are errors ({"row":N,"error":…}): accept, whatever the messages (they name
//   worker-side paths and library versions; the row is bad input either way). One error and one
//   output: reject.
// - `row` and `id` must be equal, and so must the set of output names.
// - ctc_greedy {"text","confidence"}: a string is compared exactly, a number within tolerance.
// - argmax {"<name>":{"argmax":[…],"max":[…]}}: argmax exactly, max within tolerance.
// - raw {"<name>":{"dims":[…],"data":[…]}}: dims exactly; data element by element, within tolerance
//   for floats, exactly for integer and bool outputs (when their types are given), for int64
//   strings (values beyond 2^53) and for null (NaN or ±Infinity: the worker writes them as null).
// - any other value: deep equality (an unknown future format is never loosely accepted).
// Tolerance: |claimed − reference| ≤ atol + rtol·|reference| (thresholds.ts).

export interface RowComparison {
  verdict: 'accept' | 'reject';
  /** Accept: what was compared and the largest difference. Reject: the first differing element. */
  reason: string;
}

export interface RowCompareOptions {
  thresholds?: RowThresholds;
  /**
   * The model's outputs (ModelInfo.outputs): raw tensors of integer or bool type are then compared
   * exactly. Without them every number is compared within tolerance, which for large integers
   * (rtol·|x| ≥ 1 from |x| ≥ ~1000) would let an off-by-one through.
   */
  outputs?: readonly Pick<TensorSignature, 'name' | 'type'>[];
}

const EXACT_TYPES = new Set([
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
]);

interface ParsedRow {
  row: number;
  id?: unknown;
  outputs?: Record<string, unknown>;
  error?: string;
}

class Mismatch extends Error {}

/**
 * Compares the provider's line (`claimed`) with the verifier's (`reference`): each a JSONL line or
 * the parsed object. Never throws on bad input: a line that is not JSON or not an output row is a
 * reject naming the side. Deterministic for the same inputs.
 */
export function compareRow(
  claimed: unknown,
  reference: unknown,
  options: RowCompareOptions = {},
): RowComparison {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS.rows;
  const types = new Map((options.outputs ?? []).map((o) => [o.name, o.type]));
  try {
    const a = parseRow(claimed, 'claimed');
    const b = parseRow(reference, 'reference');
    if (a.row !== b.row) throw new Mismatch(`row: claimed ${a.row}, reference ${b.row}`);
    if (!deepEqual(a.id, b.id))
      throw new Mismatch(`row ${b.row} id: claimed ${show(a.id)}, reference ${show(b.id)}`);
    const where = `row ${b.row}`;
    if (a.error !== undefined && b.error !== undefined)
      return {
        verdict: 'accept',
        reason: `${where}: both failed (claimed: ${a.error}; reference: ${b.error})`,
      };
    if (b.error !== undefined)
      throw new Mismatch(`${where}: the reference failed (${b.error}) but the claimed row has outputs`);
    if (a.error !== undefined)
      throw new Mismatch(`${where}: the claimed row failed (${a.error}) but the reference has outputs`);
    const ours = a.outputs!;
    const theirs = b.outputs!;
    const missing = Object.keys(theirs).find((name) => !(name in ours));
    if (missing !== undefined)
      throw new Mismatch(`${where}: output "${missing}" is missing from the claimed row`);
    const extra = Object.keys(ours).find((name) => !(name in theirs));
    if (extra !== undefined) throw new Mismatch(`${where}: the claimed row has an extra output "${extra}"`);
    const stats: Stats = { values: 0, maxDiff: 0, at: '' };
    for (const name of Object.keys(theirs)) {
      compareOutput(
        `${where} output "${name}"`,
        ours[name],
        theirs[name],
        types.get(name),
        thresholds,
        stats,
      );
    }
    const names = Object.keys(theirs).length;
    const largest = stats.maxDiff === 0 ? 'all equal' : `largest |Δ| ${fmt(stats.maxDiff)} at ${stats.at}`;
    return {
      verdict: 'accept',
      reason: `${where}: ${names} output${names === 1 ? '' : 's'}, ${stats.values} values match (${largest})`,
    };
  } catch (error) {
    if (error instanceof Mismatch) return { verdict: 'reject', reason: error.message };
    throw error;
  }
}

function parseRow(input: unknown, side: string): ParsedRow {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new Mismatch(`the ${side} line is not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(value)) throw new Mismatch(`the ${side} line is not a JSON object`);
  const { row, outputs, error } = value;
  if (!Number.isInteger(row) || (row as number) < 0)
    throw new Mismatch(`the ${side} line has no "row" number (got ${show(row)})`);
  if ((outputs === undefined) === (error === undefined))
    throw new Mismatch(`the ${side} row ${row} must have exactly one of "outputs" and "error"`);
  if (error !== undefined && typeof error !== 'string')
    throw new Mismatch(`the ${side} row ${row} has an "error" that is not a string`);
  if (outputs !== undefined && !isObject(outputs))
    throw new Mismatch(`the ${side} row ${row} has "outputs" that is not an object`);
  return { row: row as number, id: value.id, outputs, error };
}

interface Stats {
  values: number;
  maxDiff: number;
  at: string;
}

function compareOutput(
  where: string,
  a: unknown,
  b: unknown,
  type: string | undefined,
  t: RowThresholds,
  stats: Stats,
): void {
  const kindA = kind(a);
  const kindB = kind(b);
  if (kindA !== kindB) throw new Mismatch(`${where}: claimed is ${kindA}, reference is ${kindB}`);
  switch (kindB) {
    case 'text': {
      stats.values++;
      if (a !== b) {
        const [x, y] = [a as string, b as string];
        let i = 0;
        while (i < x.length && i < y.length && x[i] === y[i]) i++;
        throw new Mismatch(`${where}: claimed ${show(x)} ≠ reference ${show(y)} (from character ${i})`);
      }
      return;
    }
    case 'a number':
      return compareNumber(where, a as number | null, b as number | null, t, stats);
    case 'an argmax': {
      const x = a as { argmax: unknown[]; max: unknown[] };
      const y = b as { argmax: unknown[]; max: unknown[] };
      for (const field of ['argmax', 'max'] as const) {
        if (x[field].length !== y[field].length)
          throw new Mismatch(
            `${where}: claimed has ${x[field].length} ${field} values, reference ${y[field].length}`,
          );
      }
      for (let i = 0; i < y.argmax.length; i++) {
        stats.values++;
        if (x.argmax[i] !== y.argmax[i])
          throw new Mismatch(
            `${where} argmax[${i}]: claimed ${show(x.argmax[i])} ≠ reference ${show(y.argmax[i])}`,
          );
      }
      for (let i = 0; i < y.max.length; i++)
        compareValue(`${where} max[${i}]`, x.max[i], y.max[i], false, t, stats);
      return;
    }
    case 'a tensor': {
      const x = a as { dims: number[]; data: unknown[] };
      const y = b as { dims: number[]; data: unknown[] };
      if (!deepEqual(x.dims, y.dims))
        throw new Mismatch(
          `${where}: claimed dims [${x.dims.join(', ')}] ≠ reference [${y.dims.join(', ')}]`,
        );
      const size = y.dims.reduce((n, d) => n * d, 1);
      for (const [side, data] of [
        ['claimed', x.data],
        ['reference', y.data],
      ] as const) {
        if (data.length !== size)
          throw new Mismatch(
            `${where}: the ${side} data has ${data.length} values; dims [${y.dims}] need ${size}`,
          );
      }
      const exact = type !== undefined && EXACT_TYPES.has(type);
      for (let i = 0; i < size; i++) {
        const at = y.dims.length > 1 ? `[${index(i, y.dims).join(', ')}] (flat ${i})` : `[${i}]`;
        compareValue(`${where} ${at}`, x.data[i], y.data[i], exact, t, stats);
      }
      return;
    }
    default:
      stats.values++;
      if (!deepEqual(a, b)) throw new Mismatch(`${where}: claimed ${show(a)} ≠ reference ${show(b)}`);
  }
}

/** One element: numbers (and null) within tolerance unless `exact`; strings, booleans and the rest equal. */
function compareValue(
  where: string,
  a: unknown,
  b: unknown,
  exact: boolean,
  t: RowThresholds,
  stats: Stats,
): void {
  const numeric = (v: unknown): boolean => typeof v === 'number' || v === null;
  if (!exact && numeric(a) && numeric(b))
    return compareNumber(where, a as number | null, b as number | null, t, stats);
  stats.values++;
  if (a !== b) throw new Mismatch(`${where}: claimed ${show(a)} ≠ reference ${show(b)}`);
}

function compareNumber(
  where: string,
  a: number | null,
  b: number | null,
  t: RowThresholds,
  stats: Stats,
): void {
  stats.values++;
  if (a === b) return;
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b))
    throw new Mismatch(`${where}: claimed ${show(a)} ≠ reference ${show(b)} (null: NaN or ±Infinity)`);
  const diff = Math.abs(a - b);
  const allowed = t.atol + t.rtol * Math.abs(b);
  if (diff > allowed)
    throw new Mismatch(
      `${where}: claimed ${a} vs reference ${b}: |Δ| ${fmt(diff)} > atol + rtol·|reference| = ${fmt(allowed)}`,
    );
  if (diff > stats.maxDiff) {
    stats.maxDiff = diff;
    stats.at = where.replace(/^row \d+ /, '');
  }
}

type Kind = 'text' | 'a number' | 'an argmax' | 'a tensor' | 'another value';

function kind(v: unknown): Kind {
  if (typeof v === 'string') return 'text';
  if (typeof v === 'number' || v === null) return 'a number';
  if (isObject(v)) {
    const keys = Object.keys(v).sort().join(',');
    if (keys === 'argmax,max' && Array.isArray(v.argmax) && Array.isArray(v.max)) return 'an argmax';
    if (
      keys === 'data,dims' &&
      Array.isArray(v.data) &&
      Array.isArray(v.dims) &&
      v.dims.every((d) => Number.isInteger(d) && d >= 0)
    )
      return 'a tensor';
  }
  return 'another value';
}

/** Row-major coordinates of flat index `i` in `dims`. */
function index(i: number, dims: number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = i % dims[d];
    i = Math.floor(i / dims[d]);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function show(v: unknown): string {
  if (v === undefined) return 'none';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Three significant digits: 0.0189, 5.00e-4, 0.9. */
function fmt(x: number): string {
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}
