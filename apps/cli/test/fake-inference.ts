/**
 * The inference half of the fake coordinator (test/fake-coordinator.ts): models as registerModel
 * stores them, the row checks submitInferenceBatch makes, and the outputs lines a shard produces,
 * with the coordinator's error codes and wording (libs/workloads/src/inference, models.service.ts).
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';

function fail(code: string, message: string): never {
  throw new GraphQLError(`${code}: ${message}`, { extensions: { code } });
}

export interface FakeSignature {
  name: string;
  type: string;
  dims: number[];
}

/** What the fake "finds" in any .onnx: PP-OCRv4 recognition's signature, 12.5 ms per row. */
export interface FakeInspection {
  inputs: FakeSignature[];
  outputs: FakeSignature[];
  msPerRow: number | null;
}

export const OCR_INSPECTION: FakeInspection = {
  inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
  outputs: [{ name: 'softmax_11.tmp_0', type: 'float32', dims: [-1, -1, 6625] }],
  msPerRow: 12.5,
};

export interface FakeModel {
  id: string;
  owner: string;
  name: string;
  onnx: string;
  onnxSize: number;
  labels: string | null;
  inputs: FakeSignature[];
  outputs: FakeSignature[];
  batchSize: number;
  preprocess: Record<string, unknown> | null;
  postprocess: Record<string, unknown> | null;
  msPerRow: number | null;
  createdAt: string;
}

/** A row as submitted: `id` kept for the outputs. */
export interface FakeRow {
  id?: unknown;
  image?: string;
}

/** JSON of a GraphQL input (null-prototype objects, nulls for unset optionals) without the nulls. */
function plain(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v === null ? undefined : v))) as Record<
    string,
    unknown
  >;
}

/**
 * registerModel: NOT_ONNX unless the file starts like a ModelProto, MODEL_EXISTS for a name in use
 * with another file or settings (the same again returns the model), SIGNATURE_MISMATCH for a
 * declared tensor the model does not have.
 */
export function registerFakeModel(
  input: Record<string, unknown>,
  owner: string,
  onnx: Buffer,
  inspection: FakeInspection,
  existing: FakeModel[],
): FakeModel {
  const pre = plain(input.preprocess);
  const post = plain(input.postprocess);
  if (post?.type === 'CTC_GREEDY' && !input.labels)
    fail('BAD_INPUT', 'CTC_GREEDY needs a labels file (one label per line)');
  if (onnx[0] !== 0x08)
    fail(
      'NOT_ONNX',
      'the file is not an ONNX model: onnxruntime could not load it (protobuf parsing failed)',
    );
  const preprocess = pre && {
    keepAspect: false,
    channels: 3,
    colorOrder: 'RGB',
    scale: 1 / 255,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    ...pre,
  };
  const postprocess =
    post &&
    (post.type === 'CTC_GREEDY'
      ? { blankIndex: 0, appendSpace: true, ...post }
      : { blankIndex: null, appendSpace: null, ...post });
  const batchSize = (input.batchSize as number | undefined) ?? 8;
  const settings = JSON.stringify([input.onnx, input.labels ?? null, batchSize, preprocess, postprocess]);
  const same = existing.find((m) => m.name === input.name);
  if (same) {
    const theirs = JSON.stringify([
      same.onnx,
      same.labels,
      same.batchSize,
      same.preprocess,
      same.postprocess,
    ]);
    if (theirs === settings) return same;
    fail(
      'MODEL_EXISTS',
      `you already have a model named "${same.name}" (${same.id}) with another file or settings; choose another name`,
    );
  }
  const declared = (input.inputs as FakeSignature[] | null | undefined) ?? undefined;
  const unknown = declared?.find((d) => !inspection.inputs.some((i) => i.name === d.name));
  if (unknown)
    fail(
      'SIGNATURE_MISMATCH',
      `the model does not match: the model has no input "${unknown.name}" (its inputs: ${inspection.inputs.map((i) => i.name).join(', ')})`,
    );
  return {
    id: randomUUID(),
    owner,
    name: input.name as string,
    onnx: input.onnx as string,
    onnxSize: onnx.length,
    labels: (input.labels as string | null | undefined) ?? null,
    inputs: declared ? declared.map((d) => ({ ...d })) : inspection.inputs,
    outputs: inspection.outputs,
    batchSize,
    preprocess,
    postprocess,
    msPerRow: inspection.msPerRow,
    createdAt: new Date().toISOString(),
  };
}

/**
 * submitInferenceBatch's row checks: blank lines skipped, every other line a row; image models take
 * `{"id"?, "image": <uploaded sha256>}`, others `{"id"?, "inputs": {...}}`. INVALID_ROWS names the
 * lines (as numbered in the uploaded file).
 */
export function checkFakeRows(
  text: string,
  model: FakeModel,
  hasBlob: (sha256: string) => boolean,
): FakeRow[] {
  const rows: FakeRow[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    if (model.preprocess) {
      if (typeof row.image !== 'string' || !/^[0-9a-f]{64}$/.test(row.image))
        problems.push(`line ${i + 1}: "image" must be the lowercase hex SHA-256 of an uploaded PNG or JPEG`);
      else if (!hasBlob(row.image)) problems.push(`line ${i + 1}: image ${row.image} is not uploaded`);
    } else if (typeof row.inputs !== 'object' || row.inputs === null)
      problems.push(`line ${i + 1}: missing "inputs"`);
    rows.push({ ...('id' in row ? { id: row.id } : {}), image: row.image as string | undefined });
  });
  if (problems.length)
    fail(
      'INVALID_ROWS',
      `the batch has rows the model cannot take; nothing was queued: ${problems.join('; ')}`,
    );
  if (rows.length === 0) fail('INVALID_ROWS', 'the batch is empty: it has no rows');
  return rows;
}

/** One outputs.jsonl line as the worker writes it: outputs, or the row's error. */
export function outputLine(index: number, row: FakeRow, error?: string): string {
  const id = 'id' in row ? `,"id":${JSON.stringify(row.id)}` : '';
  const body = error
    ? `"error":${JSON.stringify(error)}`
    : `"outputs":${JSON.stringify({ text: `text of row ${index}`, confidence: 0.99 })}`;
  return `{"row":${index}${id},${body}}\n`;
}
