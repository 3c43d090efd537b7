import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandContext, Output } from '../cli-context';
import { CliError } from '../cli-error';
import { requireApiKey } from '../config/cli-config';
import type { InferenceParamsView, JobSummary, ModelView } from '../api/operations';
import { TesseraApi } from '../api/tessera-api';
import { hashFile, uploadUnlessPresent } from '../files/upload';
import { uploadImages } from '../inference/images-upload';
import { buildInferenceInput, defaultOutputFile, InferFlags } from '../inference/infer-options';
import {
  checkLocalModel,
  describeModel,
  LocalModel,
  registerLocalModel,
} from '../inference/model-registration';
import { checkRowsFitModel, scanRows, writeRowsForUpload } from '../inference/rows-file';
import {
  describeRowOutputs,
  downloadRowOutputs,
  RowOutputsSummary,
  summarizeRowOutputs,
} from '../inference/row-outputs';
import { formatDuration, formatPace, formatTokens, plural, shortHash } from '../ui/format';
import { followJob, reportOutcome } from './watch';

export interface InferOptions extends InferFlags {
  wait?: boolean;
  json?: boolean;
}

/** A model to run: one already registered, or a local file to register once the rows fit it. */
type Resolved =
  { model: ModelView } | { register: () => Promise<ModelView>; name: string; takesImages: boolean };

/** `--model` names a local file when it ends in .onnx or a file of that name exists. */
async function isModelFile(arg: string, cwd: string): Promise<boolean> {
  if (/\.onnx$/i.test(arg)) return true;
  return (await stat(resolve(cwd, arg)).catch(() => undefined))?.isFile() === true;
}

/**
 * The model behind `--model`. A local file is hashed and matched by its SHA-256 among your models
 * (the one with the file's model name first, else the newest); with no match it is registered with
 * its config, and without a config that is an error saying how to write one. An id or a name is
 * looked up among your models.
 */
async function resolveModel(
  api: TesseraApi,
  out: Output,
  arg: string,
  local: LocalModel | undefined,
): Promise<Resolved> {
  if (!local) {
    const list = await api.models();
    const model = list.find((m) => m.id === arg) ?? list.find((m) => m.name === arg);
    if (!model)
      throw new CliError(
        `no model "${arg}" in your account: "tessera models" lists them; pass a .onnx file to register one`,
      );
    return { model };
  }
  const sha256 = await hashFile(out, local.onnx);
  const matches = (await api.models()).filter((m) => m.onnx === sha256);
  const model = matches.find((m) => m.name === local.name) ?? matches[0];
  if (model) {
    out.write(`${local.onnx.shown} is registered as model "${model.name}" (${model.id})\n`);
    return { model };
  }
  const { config } = local;
  if (!config)
    throw new CliError(
      `${local.onnx.shown} (sha256 ${shortHash(sha256)}) is not registered and has no config: write ${local.onnx.shown}.json beside it ` +
        `(name, batchSize, preprocess, postprocess, labels; see examples/ocr) or pass --config, or register it with "tessera models register ${local.onnx.shown}"`,
    );
  return {
    name: local.name,
    takesImages: config.preprocess !== undefined,
    register: async () => {
      out.write(`registering ${local.onnx.shown} as model "${local.name}" with ${config.shown}\n`);
      const registered = await registerLocalModel(api, out, local, sha256);
      out.write(`${describeModel(registered).join('\n')}\n`);
      return registered;
    },
  };
}

/** Uploads the rows as the coordinator takes them (local images replaced by their SHA-256). */
async function uploadRows(
  api: TesseraApi,
  out: Output,
  scan: Awaited<ReturnType<typeof scanRows>>,
): Promise<string> {
  const hashes = await uploadImages(api, out, scan);
  const dir = await mkdtemp(join(tmpdir(), 'tessera-rows-'));
  try {
    const path = join(dir, 'rows.jsonl');
    const { sha256, size } = await writeRowsForUpload(scan, hashes, path);
    await uploadUnlessPresent(
      api,
      out,
      { path, size, shown: `${scan.shown} (${plural(scan.rows, 'row')})` },
      sha256,
    );
    return sha256;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What `infer` reports once the outputs are home (and prints as JSON with `--json`). */
export interface InferSummary extends RowOutputsSummary {
  job: JobSummary;
  out: string;
  wallSeconds: number | null;
  rowsPerSecond: number | null;
  estimatedCost: number | null;
  currency: string | null;
}

function summaryLines(s: InferSummary, submittedRows: number | undefined): string[] {
  const lines = [`wrote ${plural(s.rows, 'row')} to ${s.out}`, ...describeRowOutputs(s)];
  if (submittedRows !== undefined && submittedRows !== s.rows)
    lines.push(`warning: ${submittedRows} rows were submitted but the outputs have ${s.rows} lines`);
  const pace =
    s.wallSeconds === null
      ? ''
      : ` in ${formatDuration(s.wallSeconds)} wall time${s.rowsPerSecond === null ? '' : ` (${formatPace(s.rowsPerSecond)} rows/s)`}`;
  const cost =
    s.estimatedCost === null
      ? ''
      : `, estimated cost ${formatTokens(s.estimatedCost)} ${s.currency ?? ''}`.trimEnd();
  lines.push(`${plural(s.rows, 'row')}${pace}${cost}`);
  return lines;
}

/**
 * `tessera infer --model M --input rows.jsonl …`: checks options, the model file and config (when
 * M is a file) and every row locally, before anything is uploaded; resolves or registers the model;
 * uploads the images and the rows; submits the batch; follows it live (rows, ETA); downloads the
 * merged outputs to `--out` and summarizes them. Exit 0 when the job completed, even with row errors
 * (they are listed); 1 when it failed or was cancelled, or on bad input.
 */
export async function infer(ctx: CommandContext, opts: InferOptions): Promise<number> {
  const { io, config } = ctx;
  // Local checks first, cheapest first: options, credentials, model file and config, rows, images.
  const input = buildInferenceInput(opts);
  requireApiKey(config);
  const modelIsFile = await isModelFile(opts.model, io.cwd);
  if (!modelIsFile && opts.config !== undefined)
    throw new CliError(
      `--config applies to a .onnx file; model "${opts.model}" is registered with its settings`,
    );
  const local = modelIsFile ? await checkLocalModel(opts.model, io.cwd, { config: opts.config }) : undefined;
  const scan = await scanRows(opts.input, io.cwd);
  const out = resolve(io.cwd, opts.out ?? defaultOutputFile(opts.input));
  const api = new TesseraApi(config);
  // Human progress goes to stderr when stdout carries JSON for a script.
  const human = opts.json ? io.stderr : io.stdout;

  const resolved = await resolveModel(api, human, opts.model, local);
  if ('model' in resolved) checkRowsFitModel(scan, resolved.model.name, resolved.model.preprocess !== null);
  else checkRowsFitModel(scan, resolved.name, resolved.takesImages);
  const model = 'model' in resolved ? resolved.model : await resolved.register();

  const rows = await uploadRows(api, human, scan);
  const job = await api.submitInferenceBatch({ model: model.id, rows, ...input });
  const params = (job.params ?? {}) as InferenceParamsView;
  const cost =
    typeof params.estimatedCost === 'number'
      ? `, estimated cost ${formatTokens(params.estimatedCost)} ${params.currency ?? ''}`.trimEnd()
      : '';
  if (opts.json && opts.wait === false) {
    io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    return 0;
  }
  human.write(
    `job ${job.id} ${job.state}: ${job.progress.itemsTotal} ${job.progress.itemUnit} in ${plural(job.progress.tasksTotal, 'task')} on model "${model.name}"${cost}\n`,
  );
  if (opts.wait === false) {
    human.write(`follow it: tessera watch ${job.id}    outputs: tessera download ${job.id}\n`);
    return 0;
  }

  const started = io.now().getTime();
  const finished = await followJob({ io: { ...io, stdout: human }, config }, api, job.id, { header: false });
  reportOutcome(human, finished);
  const files = await api.jobFiles(job.id);
  await downloadRowOutputs(human, api, files, out);
  const rowSummary = await summarizeRowOutputs(out);
  const wallMs =
    finished.finishedAt && finished.createdAt
      ? Date.parse(finished.finishedAt) - Date.parse(finished.createdAt)
      : io.now().getTime() - started;
  const wallSeconds = Number.isFinite(wallMs) ? Math.max(0, wallMs) / 1000 : null;
  const summary: InferSummary = {
    job: finished,
    out,
    ...rowSummary,
    wallSeconds,
    rowsPerSecond: wallSeconds ? rowSummary.rows / wallSeconds : null,
    estimatedCost: typeof params.estimatedCost === 'number' ? params.estimatedCost : null,
    currency: params.currency ?? null,
  };
  human.write(`${summaryLines(summary, params.rows?.count).join('\n')}\n`);
  if (opts.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return 0;
}
