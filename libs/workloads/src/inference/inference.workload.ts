import { z } from 'zod';
import { ContainerSpec, describeIssues, OutputFile } from '@tessera/protocol';
import {
  CheckContext,
  CheckOutcome,
  CheckSample,
  combineSamples,
  CommittedItem,
  SampleComparison,
  OutputReader,
  ProviderProfile,
  SplitContext,
  TaskInput,
  TaskPlan,
  TaskSpec,
  ValidationContext,
  WorkloadInputError,
  WorkloadOutputError,
  WorkloadPlugin,
} from '../workload';
import { itemsPerTask } from '../task-size';
import { effectiveInputs, ImagePreprocess, ModelInfo, Postprocess, TensorSignature } from './model';
import { readRows } from './rows';
import { rowItems } from './row-items';
import { compareRow } from '../verify/row-compare';
import { sampleItems } from '../verify/sampling';
import type { VerificationThresholds } from '../verify/thresholds';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Node start-up plus loading a model of ~10 MB, paid once per task (measured ~1 s here). */
const STARTUP_SECONDS = 1.5;
/** Sizing guess when the model could not be timed at registration. */
const DEFAULT_MS_PER_ROW = 20;

export interface InferenceWorkloadOptions {
  /** The CPU image (onnxruntime-node): every provider can run it. */
  image: string;
  /** The CUDA image, used for providers that have a GPU and already hold it. */
  gpuImage: string;
  /** Shards aim at about this many seconds of inference each. */
  targetShardSeconds: number;
  /** Rows one batch may have. */
  maxRows: number;
  /**
   * Rows a spot-check re-runs (all of a shard that has no more). bench/verification: a partial
   * cheat on half the rows escapes 6 rows with probability 1/64.
   */
  checkRows: number;
}

const InferenceInputSchema = z.strictObject({
  model: z.string().uuid('the id of a registered model'),
  rows: z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 of an uploaded JSONL file'),
  shardRows: z.number().int().min(1).max(1_000_000).optional(),
  device: z.enum(['ANY', 'CPU', 'GPU']).default('ANY'),
  maxPrice: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'a decimal token amount, e.g. 12.5')
    .optional(),
});

export interface InferenceShard {
  firstRow: number;
  rows: number;
  blob: { sha256: string; size: number };
  images: { sha256: string; size: number }[];
}

export interface InferenceParams {
  model: ModelInfo;
  rows: { sha256: string; size: number; count: number };
  shards: InferenceShard[];
  device: 'ANY' | 'CPU' | 'GPU';
  maxPrice?: string;
  /** Cost at the market price when the batch was submitted, in tokens. */
  estimatedCost: number;
  currency: string;
}

/** What one task's container is told (the worker's spec, less what depends on the provider). */
interface InferenceTaskParams {
  firstRow: number;
  rows: number;
  batchSize: number;
  device: 'ANY' | 'CPU' | 'GPU';
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  preprocess: ImagePreprocess | null;
  postprocess: Postprocess | null;
  /** Set on a spot-check: the batch's row numbers it re-runs, in its own row order. */
  check?: { rows: number[] };
}

export const INFERENCE_OUTPUT = 'outputs.jsonl';

/**
 * `inference`: batches of JSONL rows run through a registered ONNX model. Rows are checked at
 * submission against the model's signature (nothing queued on a bad batch), then cut into shards of
 * a whole number of runtime batches, so every row is computed in a batch of exactly the model's
 * batch size wherever it runs; each shard's rows come back as one outputs.jsonl, one line per row in
 * input order, a row that fails carrying its error instead of outputs.
 */
export class InferenceWorkload implements WorkloadPlugin<InferenceParams> {
  readonly kind = 'inference';

  constructor(private readonly options: InferenceWorkloadOptions) {}

  async validate(input: unknown, ctx: ValidationContext): Promise<InferenceParams> {
    const parsed = InferenceInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new WorkloadInputError(
        'INVALID_PARAMETER',
        describeIssues(parsed.error),
        parsed.error.issues[0]?.path.join('.'),
      );
    }
    const p = parsed.data;
    if (!ctx.lookupModel || !ctx.openBlob || !ctx.storeBlob)
      throw new WorkloadInputError('UNAVAILABLE', 'this coordinator takes no inference batches');
    const model = await ctx.lookupModel(p.model);
    if (!model)
      throw new WorkloadInputError(
        'INPUT_NOT_FOUND',
        `no model ${p.model} in this account (register it first)`,
        'model',
      );
    const rowsBlob = await ctx.lookupBlob(p.rows);
    const source = rowsBlob && (await ctx.openBlob(p.rows));
    if (!rowsBlob || !source)
      throw new WorkloadInputError(
        'INPUT_NOT_FOUND',
        `no uploaded batch ${p.rows} in this account (upload it first)`,
        'rows',
      );

    const inputs = effectiveInputs(model.inputs, model.preprocess);
    const read = await readRows(source, inputs, model.preprocess !== null, { maxRows: this.options.maxRows });
    if (read.overLimit) {
      throw new WorkloadInputError(
        'LIMIT_EXCEEDED',
        `the batch has more than ${this.options.maxRows} rows (the limit); split it into several batches`,
        'rows',
      );
    }
    if (read.problems.length) {
      const more = read.moreProblems ? ` (and ${read.moreProblems} more)` : '';
      throw new WorkloadInputError(
        'INVALID_ROWS',
        `the batch has rows the model cannot take; nothing was queued: ${read.problems
          .map((x) => `line ${x.line}: ${x.message}`)
          .join('; ')}${more}`,
        'rows',
        read.problems,
      );
    }
    if (read.rows.length === 0)
      throw new WorkloadInputError('INVALID_ROWS', 'the batch is empty: it has no rows', 'rows');

    // Every image a row names must be the customer's upload.
    const imageSizes = new Map<string, number>();
    const missing: number[] = [];
    const unique = [...new Set(read.rows.map((r) => r.image).filter((x): x is string => !!x))];
    for (let i = 0; i < unique.length; i += 64) {
      const found = await Promise.all(unique.slice(i, i + 64).map((sha) => ctx.lookupBlob(sha)));
      found.forEach((blob, j) => {
        if (blob) imageSizes.set(unique[i + j], blob.size);
      });
    }
    read.rows.forEach((r, i) => {
      if (r.image && !imageSizes.has(r.image)) missing.push(i + 1);
    });
    if (missing.length) {
      throw new WorkloadInputError(
        'INPUT_NOT_FOUND',
        `rows ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} name images that are not uploaded to this account; nothing was queued`,
        'rows',
      );
    }

    const size = this.shardSize(model, read.rows.length, p.shardRows, ctx.onlineProviders ?? 1);
    const shards: InferenceShard[] = [];
    for (let first = 0; first < read.rows.length; first += size) {
      const rows = read.rows.slice(first, first + size);
      const blob = await ctx.storeBlob(Buffer.from(rows.map((r) => r.line).join('\n') + '\n'));
      const images = [...new Set(rows.map((r) => r.image).filter((x): x is string => !!x))].map((sha256) => ({
        sha256,
        size: imageSizes.get(sha256) as number,
      }));
      shards.push({ firstRow: first, rows: rows.length, blob, images });
    }

    const rate = ctx.market?.inferencePerCpuSecond ?? 0;
    const currency = ctx.market?.currency ?? 'TSR';
    const cpuSeconds = (read.rows.length * (model.msPerRow ?? DEFAULT_MS_PER_ROW)) / 1000;
    const estimatedCost = cpuSeconds * rate;
    if (p.maxPrice !== undefined && Number(p.maxPrice) < estimatedCost) {
      throw new WorkloadInputError(
        'PRICE_TOO_LOW',
        `maxPrice ${p.maxPrice} ${currency} is below what providers charge for this batch at the current market price: ` +
          `${estimatedCost.toPrecision(3)} ${currency} (${read.rows.length} rows × ${model.msPerRow ?? DEFAULT_MS_PER_ROW} ms ` +
          `at ${rate} ${currency} per CPU-second)`,
        'maxPrice',
      );
    }
    return {
      model,
      rows: { sha256: p.rows, size: rowsBlob.size, count: read.rows.length },
      shards,
      device: p.device,
      maxPrice: p.maxPrice,
      estimatedCost,
      currency,
    };
  }

  /**
   * Rows per shard: a whole number of runtime batches, about `targetShardSeconds` of inference, but
   * small enough that every online provider gets about two shards and never so small that start-up
   * dominates. An explicit `shardRows` wins (rounded up to whole batches).
   */
  shardSize(model: ModelInfo, rows: number, requested: number | undefined, onlineProviders: number): number {
    const b = model.batchSize;
    const roundUp = (n: number) => Math.max(b, Math.ceil(n / b) * b);
    if (requested) return roundUp(requested);
    return roundUp(
      itemsPerTask({
        items: rows,
        secondsPerItem: (model.msPerRow ?? DEFAULT_MS_PER_ROW) / 1000,
        startupSeconds: STARTUP_SECONDS,
        targetSeconds: this.options.targetShardSeconds,
        onlineProviders,
      }),
    );
  }

  split(params: InferenceParams, _ctx: SplitContext): TaskPlan[] {
    const { model } = params;
    const ms = model.msPerRow ?? DEFAULT_MS_PER_ROW;
    // onnxruntime holds the weights (about the file's size, twice while loading) and one batch's tensors.
    const memoryBytes = Math.ceil((512 * MIB + 4 * model.onnx.size) / MIB) * MIB;
    return params.shards.map((shard, index) => {
      const inputs: TaskInput[] = [
        { sha256: model.onnx.sha256, size: model.onnx.size, path: 'model.onnx' },
        { sha256: shard.blob.sha256, size: shard.blob.size, path: 'rows.jsonl' },
      ];
      if (model.labels) inputs.push({ ...model.labels, path: 'labels.txt' });
      for (const image of shard.images) inputs.push({ ...image, path: `images/${image.sha256}` });
      return {
        index,
        params: {
          firstRow: shard.firstRow,
          rows: shard.rows,
          batchSize: model.batchSize,
          device: params.device,
          inputs: model.inputs,
          outputs: model.outputs,
          preprocess: model.preprocess,
          postprocess: model.postprocess,
        } satisfies InferenceTaskParams,
        image: this.options.image,
        requirements: {
          cpus: 1,
          memoryBytes: Math.min(memoryBytes, 16 * GIB),
          gpus: params.device === 'GPU' ? 1 : 0,
          vramBytes: params.device === 'GPU' ? GIB : 0,
        },
        // Generous: 20× the measured time (slower machines, one thread), never under two minutes.
        timeoutSec: Math.ceil(Math.max(120, STARTUP_SECONDS + (shard.rows * ms * 20) / 1000)),
        inputs,
        items: shard.rows,
        cacheKey: model.onnx.sha256,
      };
    });
  }

  /** GPU providers that hold the CUDA image run on it; everyone else on the CPU image. */
  containerSpec(task: TaskSpec, provider: ProviderProfile): ContainerSpec {
    const t = task.params as unknown as InferenceTaskParams;
    const gpu =
      t.device !== 'CPU' && provider.gpus.length > 0 && provider.images.includes(this.options.gpuImage);
    const threads = Math.max(1, Math.floor(provider.cpuCores / Math.max(1, provider.slots)));
    const spec = {
      batchSize: t.batchSize,
      threads,
      device: gpu ? 'cuda' : 'cpu',
      firstRow: t.firstRow,
      inputs: t.inputs,
      outputs: t.outputs,
      preprocess: t.preprocess,
      postprocess: t.postprocess ? { ...t.postprocess, labels: '/in/labels.txt' } : null,
    };
    return {
      image: gpu ? this.options.gpuImage : task.image,
      command: [
        'node',
        '/opt/tessera/infer.js',
        'run',
        '--spec-json',
        JSON.stringify(spec),
        '--model',
        '/in/model.onnx',
        '--rows',
        '/in/rows.jsonl',
        '--out',
        `/out/${INFERENCE_OUTPUT}`,
      ],
      env: { HOME: '/tmp', ORT_DISABLE_TELEMETRY: '1' },
      inputs: task.inputs,
      limits: {
        cpus: threads,
        memoryBytes: task.requirements.memoryBytes,
        pids: 256,
        timeoutSec: task.timeoutSec,
        tmpBytes: 64 * MIB,
        outputBytes: Math.min(4 * GIB, MIB + t.rows * bytesPerRow(t)),
        outputFiles: 4,
      },
      gpus: gpu ? 1 : 0,
    };
  }

  /**
   * One outputs.jsonl with exactly one line per row, in order. Deep checks (the agent) read every
   * line; the coordinator checks the file is there and not empty.
   */
  async checkOutputs(
    task: TaskSpec,
    outputs: OutputFile[],
    read: OutputReader,
    deep: boolean,
  ): Promise<void> {
    const t = task.params as unknown as InferenceTaskParams;
    const file = outputs.find((o) => o.path === INFERENCE_OUTPUT);
    if (!file) throw new WorkloadOutputError(`${INFERENCE_OUTPUT} is missing`);
    const unexpected = outputs.find((o) => o.path !== INFERENCE_OUTPUT);
    if (unexpected) throw new WorkloadOutputError(`unexpected output ${unexpected.path}`);
    if (file.size === 0) throw new WorkloadOutputError(`${INFERENCE_OUTPUT} is empty`);
    if (!deep) return;
    const lines = (await read(file)).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.length !== t.rows)
      throw new WorkloadOutputError(`${INFERENCE_OUTPUT} has ${lines.length} lines for ${t.rows} rows`);
    lines.forEach((line, i) => {
      let row: { row?: unknown; outputs?: unknown; error?: unknown };
      try {
        row = JSON.parse(line) as typeof row;
      } catch {
        throw new WorkloadOutputError(`line ${i + 1} of ${INFERENCE_OUTPUT} is not JSON`);
      }
      if (row.row !== t.firstRow + i)
        throw new WorkloadOutputError(`line ${i + 1} is row ${String(row.row)}, not row ${t.firstRow + i}`);
      const ok = row.outputs !== null && typeof row.outputs === 'object';
      if (!ok && typeof row.error !== 'string')
        throw new WorkloadOutputError(`row ${t.firstRow + i} has neither outputs nor an error`);
    });
  }

  /**
   * One item per row in row order, keyed `row-<n>` (n counted from the batch's first row): the hash
   * of the canonical JSON of the row's line, keys sorted (row-items.ts).
   */
  async commitItems(task: TaskSpec, outputs: OutputFile[], read: OutputReader): Promise<CommittedItem[]> {
    const file = outputs.find((o) => o.path === INFERENCE_OUTPUT);
    return rowItems(task.params as unknown as InferenceTaskParams, file, read);
  }

  /** `checkRows` distinct rows of the shard, in row order. */
  sampleCheck(task: TaskSpec, items: number, seed: Buffer): CheckSample[] {
    const t = task.params as unknown as InferenceTaskParams;
    if (t.check || items !== t.rows || items === 0) return [];
    return sampleItems(seed, items, Math.min(items, Math.max(1, this.options.checkRows))).map((item) => ({
      item,
      key: `row-${t.firstRow + item}`,
    }));
  }

  /**
   * The sampled rows as a shard of their own (a new rows blob, with only the images they name),
   * through the same model and batch size: the worker pads partial batches, so each row is computed
   * exactly as in the original shard. Keyed on the model, so verifiers that hold it come first.
   */
  async checkTask(
    task: TaskSpec,
    samples: CheckSample[],
    ctx: CheckContext,
  ): Promise<Omit<TaskPlan, 'index'>> {
    const t = task.params as unknown as InferenceTaskParams;
    const rowsInput = task.inputs.find((i) => i.path === 'rows.jsonl');
    if (!rowsInput) throw new Error('the shard has no rows.jsonl input');
    const lines = (await ctx.readBlob(rowsInput.sha256)).toString('utf8').split('\n');
    const picked = samples.map((s) => {
      const line = lines[s.item];
      if (line === undefined || line === '') throw new Error(`the shard has no row ${s.item}`);
      return line;
    });
    const images = new Set(
      picked
        .map((line) => (JSON.parse(line) as { image?: unknown }).image)
        .filter((image): image is string => typeof image === 'string'),
    );
    const rows = await ctx.storeBlob(Buffer.from(picked.join('\n') + '\n'));
    const gpu =
      t.device !== 'CPU' &&
      ctx.provider.gpus.length > 0 &&
      ctx.provider.images.includes(this.options.gpuImage);
    const model = task.inputs.find((i) => i.path === 'model.onnx');
    return {
      params: {
        ...t,
        firstRow: 0,
        rows: samples.length,
        device: gpu ? 'GPU' : 'CPU',
        check: { rows: samples.map((s) => t.firstRow + s.item) },
      } satisfies InferenceTaskParams,
      image: this.options.image,
      requirements: { ...task.requirements, gpus: gpu ? 1 : 0, vramBytes: gpu ? GIB : 0 },
      timeoutSec: task.timeoutSec,
      inputs: task.inputs
        .filter((i) => i.path !== 'rows.jsonl' && (!i.path.startsWith('images/') || images.has(i.path)))
        .concat({ ...rows, path: 'rows.jsonl' }),
      items: samples.length,
      cacheKey: model?.sha256,
    };
  }

  /** The sampled rows over the shard's. */
  checkShare(task: TaskSpec, samples: CheckSample[]): number {
    const t = task.params as unknown as InferenceTaskParams;
    return Math.min(1, samples.length / Math.max(1, t.rows));
  }

  async itemHashes(
    task: TaskSpec,
    outputs: OutputFile[],
    indices: number[],
    read: OutputReader,
  ): Promise<string[]> {
    const t = task.params as unknown as InferenceTaskParams;
    const items = await rowItems(
      t,
      outputs.find((o) => o.path === INFERENCE_OUTPUT),
      read,
    );
    return indices.map((i) => {
      const item = items[i];
      if (!Number.isInteger(i) || !item)
        throw new WorkloadOutputError(`item ${i} is outside this shard of ${t.rows} rows`);
      return item.sha256;
    });
  }

  /**
   * Each sampled row of the provider's outputs.jsonl against the verifier's line for it
   * (compareRow, exact for text, labels and integer outputs, within tolerance for floats). The
   * verifier numbers its rows from 0; its line is renumbered to the batch's row before comparing.
   */
  async compareCheck(
    task: TaskSpec,
    claimed: OutputFile[],
    samples: CheckSample[],
    reference: OutputFile[],
    read: OutputReader,
    thresholds: VerificationThresholds,
  ): Promise<CheckOutcome> {
    const t = task.params as unknown as InferenceTaskParams;
    const lines = async (files: OutputFile[]): Promise<string[] | string> => {
      const file = files.find((o) => o.path === INFERENCE_OUTPUT);
      if (!file) return `${INFERENCE_OUTPUT} is missing`;
      return (await read(file)).toString('utf8').split('\n');
    };
    const mine = await lines(claimed);
    const theirs = await lines(reference);
    const results: SampleComparison[] = samples.map((sample, j) => {
      const base = { item: sample.item, key: sample.key };
      const row = t.firstRow + sample.item;
      let verifierRow: Record<string, unknown>;
      try {
        if (typeof theirs === 'string') throw new Error(theirs);
        verifierRow = JSON.parse(theirs[j] ?? '') as Record<string, unknown>;
        if (verifierRow === null || typeof verifierRow !== 'object' || verifierRow.row !== j)
          throw new Error(`line ${j + 1} is not row ${j}`);
      } catch (error) {
        return { ...base, verdict: 'inconclusive', reason: `verifier: ${(error as Error).message}` };
      }
      if (typeof mine === 'string') return { ...base, verdict: 'reject', reason: mine };
      const c = compareRow(
        mine[sample.item] ?? '',
        { ...verifierRow, row },
        {
          thresholds: thresholds.rows,
          outputs: t.outputs,
        },
      );
      return { ...base, verdict: c.verdict, reason: c.reason };
    });
    return combineSamples(results);
  }

  /** Each shard's outputs.jsonl, in row order; the job's output is their concatenation. */
  merge(_params: InferenceParams, tasks: { index: number; outputs: OutputFile[] }[]): OutputFile[] {
    return [...tasks]
      .sort((a, b) => a.index - b.index)
      .flatMap((t) =>
        t.outputs
          .filter((o) => o.path === INFERENCE_OUTPUT)
          .map((o) => ({ ...o, path: `outputs-${String(t.index).padStart(5, '0')}.jsonl` })),
      );
  }
}

/** A generous bound on one output line: text for decoded labels, ~24 bytes per raw number. */
function bytesPerRow(t: InferenceTaskParams): number {
  if (t.postprocess?.type === 'ctc_greedy') return 16 * 1024;
  const outputs = t.postprocess ? t.outputs.filter((o) => o.name === t.postprocess?.output) : t.outputs;
  const values = outputs.reduce(
    (sum, o) => sum + o.dims.slice(1).reduce((p, d) => p * (d > 0 ? d : 1024), 1),
    0,
  );
  return 4096 + values * (t.postprocess?.type === 'argmax' ? 4 : 24);
}
