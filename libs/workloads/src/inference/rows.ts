import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { formatDims, TensorSignature } from './model';

/** One customer row, checked, in the form the worker reads (docker/workers/onnx). */
export interface CheckedRow {
  /** The line the worker gets: `{"id"?, "image": "images/<sha256>"}` or `{"id"?, "inputs": {...}}`. */
  line: string;
  /** The image blob the row needs, if any. */
  image?: string;
}

export interface RowProblem {
  line: number;
  message: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** Flattens a nested array, returning its shape; undefined when it is ragged or holds non-arrays at depth. */
function flatten(value: unknown): { dims: number[]; data: unknown[] } | undefined {
  const dims: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    dims.push(level.length);
    level = level[0];
  }
  const data: unknown[] = [];
  const walk = (v: unknown, depth: number): boolean => {
    if (depth === dims.length) {
      if (Array.isArray(v)) return false;
      data.push(v);
      return true;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) return false;
    return v.every((x) => walk(x, depth + 1));
  };
  return walk(value, 0) ? { dims, data } : undefined;
}

/** Why one inline tensor does not fit its signature (batch dimension removed), or undefined. */
export function tensorProblem(sig: TensorSignature, value: unknown): string | undefined {
  let dims: number[];
  let data: unknown[];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as { dims?: unknown; data?: unknown };
    const keys = Object.keys(v).filter((k) => k !== 'dims' && k !== 'data');
    if (keys.length) return `input "${sig.name}" has unknown field "${keys[0]}" (expected dims and data)`;
    if (!Array.isArray(v.dims) || !v.dims.every((d) => Number.isInteger(d) && d >= 0))
      return `input "${sig.name}".dims must be a list of non-negative integers`;
    if (!Array.isArray(v.data)) return `input "${sig.name}".data must be a flat list of numbers`;
    dims = v.dims as number[];
    data = v.data;
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected)
      return `input "${sig.name}" has ${data.length} values, but dims ${formatDims(dims)} need ${expected}`;
  } else if (Array.isArray(value)) {
    const flat = flatten(value);
    if (!flat) return `input "${sig.name}" is a ragged nested list`;
    ({ dims, data } = flat);
  } else {
    return `input "${sig.name}" must be a nested list or {"dims": [...], "data": [...]}`;
  }
  const want = sig.dims.slice(1);
  if (dims.length !== want.length || want.some((d, i) => d >= 0 && d !== dims[i])) {
    return `input "${sig.name}" has dims ${formatDims(dims)}; the model takes ${formatDims(want)} per row`;
  }
  const range = INT_RANGES[sig.type];
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (sig.type === 'bool') {
      if (typeof x !== 'boolean' && x !== 0 && x !== 1)
        return `input "${sig.name}" is bool: value ${i} (${JSON.stringify(x)}) is not true/false`;
      continue;
    }
    if (typeof x !== 'number')
      return `input "${sig.name}" value ${i} (${JSON.stringify(x)?.slice(0, 30)}) is not a number`;
    if (range && (!Number.isInteger(x) || x < range[0] || x > range[1]))
      return `input "${sig.name}" is ${sig.type}: value ${i} (${x}) is not an integer in ${range[0]}..${range[1]}`;
  }
  return undefined;
}

/** Checks one parsed row against the model; returns the worker's line or the problem. */
export function checkRow(
  row: unknown,
  inputs: TensorSignature[],
  imageInput: boolean,
): { row: CheckedRow } | { problem: string } {
  if (!row || typeof row !== 'object' || Array.isArray(row))
    return { problem: 'a row must be a JSON object' };
  const r = row as Record<string, unknown>;
  const allowed = imageInput ? ['id', 'image'] : ['id', 'inputs'];
  const unknown = Object.keys(r).find((k) => !allowed.includes(k));
  if (unknown) return { problem: `unknown field "${unknown}" (a row has ${allowed.join(' and ')})` };
  const id = r.id;
  if (id !== undefined && id !== null && !['string', 'number'].includes(typeof id))
    return { problem: '"id" must be a string or a number' };
  if (typeof id === 'string' && id.length > 200) return { problem: '"id" is longer than 200 characters' };
  const idPart = id === undefined ? {} : { id };
  if (imageInput) {
    if (r.image === undefined) return { problem: 'missing "image" (the SHA-256 of an uploaded PNG or JPEG)' };
    if (typeof r.image !== 'string' || !SHA256.test(r.image))
      return { problem: '"image" must be the lowercase hex SHA-256 of an uploaded PNG or JPEG' };
    return { row: { line: JSON.stringify({ ...idPart, image: `images/${r.image}` }), image: r.image } };
  }
  if (!r.inputs || typeof r.inputs !== 'object' || Array.isArray(r.inputs))
    return { problem: `missing "inputs" (an object with ${inputs.map((i) => `"${i.name}"`).join(', ')})` };
  const given = r.inputs as Record<string, unknown>;
  const extra = Object.keys(given).find((k) => !inputs.some((i) => i.name === k));
  if (extra)
    return {
      problem: `the model has no input "${extra}" (its inputs: ${inputs.map((i) => i.name).join(', ')})`,
    };
  for (const sig of inputs) {
    if (!(sig.name in given)) return { problem: `missing input "${sig.name}"` };
    const problem = tensorProblem(sig, given[sig.name]);
    if (problem) return { problem };
  }
  return { row: { line: JSON.stringify({ ...idPart, inputs: given }) } };
}

export interface ReadRowsResult {
  rows: CheckedRow[];
  problems: RowProblem[];
  /** Problems beyond the ones kept. */
  moreProblems: number;
  /** The batch has more rows than allowed (reading stopped there). */
  overLimit: boolean;
}

/**
 * Reads a JSONL batch line by line (never the whole file as one string), checking each row. Blank
 * lines are skipped; every other line is a row. Stops early with a problem past `maxRows`.
 */
export async function readRows(
  source: Readable,
  inputs: TensorSignature[],
  imageInput: boolean,
  opts: { maxRows: number; keepProblems?: number },
): Promise<ReadRowsResult> {
  const keep = opts.keepProblems ?? 5;
  const rows: CheckedRow[] = [];
  const problems: RowProblem[] = [];
  let moreProblems = 0;
  let overLimit = false;
  let lineNo = 0;
  const note = (line: number, message: string) => {
    if (problems.length < keep) problems.push({ line, message });
    else moreProblems++;
  };
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      lineNo++;
      if (!text.trim()) continue;
      if (rows.length >= opts.maxRows) {
        overLimit = true;
        problems.length = 0;
        moreProblems = 0;
        note(lineNo, `the batch has more than ${opts.maxRows} rows (the limit); split it`);
        break;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        note(lineNo, `not JSON: ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''}`);
        rows.push({ line: '' });
        continue;
      }
      const checked = checkRow(parsed, inputs, imageInput);
      if ('problem' in checked) {
        note(lineNo, checked.problem);
        rows.push({ line: '' });
      } else rows.push(checked.row);
    }
  } finally {
    lines.close();
    source.destroy();
  }
  return { rows, problems, moreProblems, overLimit };
}
