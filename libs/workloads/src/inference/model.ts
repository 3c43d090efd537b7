import { z } from 'zod';

/** Element types a tensor may have in rows and signatures (ONNX names, lower case). */
export const TENSOR_TYPES = [
  'float32',
  'float64',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'bool',
] as const;
export type TensorType = (typeof TENSOR_TYPES)[number];

/** A model input or output: its name, element type and dimensions (-1 where the model leaves it open). */
export interface TensorSignature {
  name: string;
  type: string;
  dims: number[];
}

/** Image → tensor, PaddleOCR/torchvision style (the worker does it; see docker/workers/onnx). */
export interface ImagePreprocess {
  type: 'image';
  /** The model input the image feeds. */
  input: string;
  width: number;
  height: number;
  /** Keep the aspect ratio: resize to `height`, at most `width` wide, pad the right with zeros. */
  keepAspect: boolean;
  channels: 1 | 3;
  colorOrder: 'RGB' | 'BGR';
  /** value = (pixel × scale − mean[c]) / std[c] */
  scale: number;
  mean: number[];
  std: number[];
}

export type Postprocess =
  | { type: 'argmax'; output: string }
  | {
      type: 'ctc_greedy';
      output: string;
      /** Blank label index (PaddleOCR: 0; label i+1 is line i of the labels file). */
      blankIndex: number;
      /** A " " label after the file's labels (PaddleOCR's use_space_char). */
      appendSpace: boolean;
    };

/** A registered model as plugins see it. */
export interface ModelInfo {
  id: string;
  name: string;
  onnx: { sha256: string; size: number };
  /** Labels file for `ctc_greedy` (one label per line). */
  labels: { sha256: string; size: number } | null;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  /** Rows per runtime batch, fixed per model: outputs depend slightly on the batch size. */
  batchSize: number;
  preprocess: ImagePreprocess | null;
  postprocess: Postprocess | null;
  /** Measured at registration on the coordinator's machine (2 threads); sizes shards. */
  msPerRow: number | null;
}

/** What the model inspector reports (docker/workers/onnx `inspect`). */
export interface ModelInspection {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  msPerRow: number | null;
}

const name = z.string().min(1).max(200);
const dims = z
  .array(
    z
      .number()
      .int()
      .min(-1)
      .max(1 << 24),
  )
  .max(8);

export const TensorSignatureSchema = z.strictObject({ name, type: z.enum(TENSOR_TYPES), dims });

export const ImagePreprocessSchema = z.strictObject({
  type: z.literal('image'),
  input: name,
  width: z.number().int().min(1).max(8192),
  height: z.number().int().min(1).max(8192),
  keepAspect: z.boolean().default(false),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  colorOrder: z.enum(['RGB', 'BGR']).default('RGB'),
  scale: z
    .number()
    .positive()
    .max(1e6)
    .default(1 / 255),
  mean: z.array(z.number().min(-1e6).max(1e6)).max(3).default([0, 0, 0]),
  std: z.array(z.number().positive().max(1e6)).max(3).default([1, 1, 1]),
});

export const PostprocessSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('argmax'), output: name }),
  z.strictObject({
    type: z.literal('ctc_greedy'),
    output: name,
    blankIndex: z.number().int().min(0).default(0),
    appendSpace: z.boolean().default(true),
  }),
]);

/** Renders dims the way people write them: [-1,3,48,320] → [?,3,48,320]. */
export function formatDims(d: number[]): string {
  return `[${d.map((x) => (x < 0 ? '?' : String(x))).join(',')}]`;
}

/**
 * Checks a declared signature against the one the model file has. A declared dimension may fix one
 * the model leaves open (-1 → 320), never change a fixed one. Returns the effective signature (the
 * declared one where given, else the model's) or a list of mismatches.
 */
export function reconcileSignature(
  what: 'input' | 'output',
  model: TensorSignature[],
  declared: TensorSignature[] | undefined,
): { signature: TensorSignature[]; problems: string[] } {
  if (!declared) return { signature: model, problems: [] };
  const problems: string[] = [];
  const byName = new Map(model.map((t) => [t.name, t]));
  for (const d of declared) {
    const m = byName.get(d.name);
    if (!m) {
      problems.push(
        `the model has no ${what} "${d.name}" (its ${what}s: ${model.map((t) => t.name).join(', ')})`,
      );
      continue;
    }
    if (m.type !== d.type) problems.push(`${what} "${d.name}" is ${m.type} in the model, not ${d.type}`);
    const fits = m.dims.length === d.dims.length && m.dims.every((md, i) => md < 0 || md === d.dims[i]);
    if (!fits) {
      problems.push(
        `${what} "${d.name}" has dims ${formatDims(m.dims)} in the model, which ${formatDims(d.dims)} does not fit`,
      );
    }
  }
  const missing = model.filter((m) => !declared.some((d) => d.name === m.name));
  if (what === 'input' && missing.length) {
    problems.push(
      `the model also takes input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m.name}"`).join(', ')}`,
    );
  }
  const signature = model.map((m) => declared.find((d) => d.name === m.name) ?? m);
  return { signature, problems };
}

/**
 * Checks that preprocessing and postprocessing fit the signature; returns problems. An image input
 * must be float NCHW with a free batch dimension, and its channels, height and width must agree with
 * the preprocessing (an open model dimension takes the preprocessing's value).
 */
export function checkProcessing(
  inputs: TensorSignature[],
  outputs: TensorSignature[],
  preprocess: ImagePreprocess | null,
  postprocess: Postprocess | null,
  batchSize: number,
): string[] {
  const problems: string[] = [];
  for (const input of inputs) {
    const batch = input.dims[0];
    if (input.dims.length === 0)
      problems.push(`input "${input.name}" is a scalar: rows need a batch dimension`);
    else if (batch !== undefined && batch >= 0 && batch !== batchSize) {
      problems.push(`input "${input.name}" has a fixed batch of ${batch}: set batchSize to ${batch}`);
    }
  }
  if (preprocess) {
    const input = inputs.find((i) => i.name === preprocess.input);
    if (!input) problems.push(`preprocess.input "${preprocess.input}" is not an input of the model`);
    else {
      if (!input.type.startsWith('float'))
        problems.push(`image input "${input.name}" is ${input.type}, not float`);
      const want = [preprocess.channels, preprocess.height, preprocess.width];
      const have = input.dims.slice(1);
      if (input.dims.length !== 4 || have.some((d, i) => d >= 0 && d !== want[i])) {
        problems.push(
          `image input "${input.name}" has dims ${formatDims(input.dims)}; the preprocessing makes [N,${want.join(',')}]`,
        );
      }
    }
    if (inputs.length !== 1) problems.push('image preprocessing needs a model with exactly one input');
    for (const key of ['mean', 'std'] as const) {
      if (preprocess[key].length !== preprocess.channels) {
        problems.push(`preprocess.${key} needs ${preprocess.channels} values (one per channel)`);
      }
    }
  }
  if (postprocess && !outputs.some((o) => o.name === postprocess.output)) {
    problems.push(
      `postprocess.output "${postprocess.output}" is not an output of the model (its outputs: ${outputs.map((o) => o.name).join(', ')})`,
    );
  }
  return problems;
}

/** The input signature with open dimensions the preprocessing fixes filled in (what rows must match). */
export function effectiveInputs(
  inputs: TensorSignature[],
  preprocess: ImagePreprocess | null,
): TensorSignature[] {
  if (!preprocess) return inputs;
  return inputs.map((i) =>
    i.name === preprocess.input
      ? { ...i, dims: [i.dims[0] ?? -1, preprocess.channels, preprocess.height, preprocess.width] }
      : i,
  );
}
