import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { CliError } from '../cli-error';
import type { RegisterModelInput, TensorSignatureInput } from '../api/operations';

/**
 * A model's config file (`MODEL.onnx.json` beside the model, or `--config`): RegisterModelInput
 * without `onnx`, and `labels` as a path to the labels file relative to the config file. It is
 * checked here, field by field, before anything is hashed or uploaded; the coordinator stays the
 * authority on whether the settings fit the model itself.
 */
export interface ModelConfig {
  /** The config file as the user knows it (given or found), for messages. */
  shown: string;
  name?: string;
  batchSize?: number;
  inputs?: TensorSignatureInput[];
  outputs?: TensorSignatureInput[];
  preprocess?: RegisterModelInput['preprocess'];
  postprocess?: RegisterModelInput['postprocess'];
  /** The labels file, resolved against the config file's folder. */
  labelsPath?: string;
}

export const CONFIG_FIELDS = [
  'name',
  'batchSize',
  'inputs',
  'outputs',
  'preprocess',
  'postprocess',
  'labels',
] as const;
const PREPROCESS_FIELDS = [
  'input',
  'width',
  'height',
  'keepAspect',
  'channels',
  'colorOrder',
  'scale',
  'mean',
  'std',
] as const;
const POSTPROCESS_FIELDS = ['type', 'output', 'blankIndex', 'appendSpace'] as const;
const SIGNATURE_FIELDS = ['name', 'type', 'dims'] as const;
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

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value as it appears in the file, cut short: `"320"`, `[1,"a"]`, `null`. */
const describe = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/** Collects every problem of a config, each naming its field (`preprocess.width`), so all are shown at once. */
class FieldChecker {
  readonly problems: string[] = [];

  constructor(private readonly shown: string) {}

  problem(field: string, message: string): void {
    this.problems.push(`${this.shown}: "${field}" ${message}`);
  }

  unknown(obj: Json, known: readonly string[], at: string, hint = ''): void {
    for (const key of Object.keys(obj))
      if (!known.includes(key))
        this.problems.push(`${this.shown}: unknown field "${at}${key}"${hint} (known: ${known.join(', ')})`);
  }

  string(obj: Json, key: string, at: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${at}${key}`, 'is missing');
      return undefined;
    }
    if (typeof v !== 'string' || v.length < 1 || v.length > 200) {
      this.problem(`${at}${key}`, `must be a text of 1 to 200 characters, not ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  integer(
    obj: Json,
    key: string,
    at: string,
    min: number,
    max: number,
    required = false,
  ): number | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${at}${key}`, 'is missing');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.problem(`${at}${key}`, `must be a whole number from ${min} to ${max}, not ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  boolean(obj: Json, key: string, at: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.problem(`${at}${key}`, `must be true or false, not ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  /** One of `values`, case-insensitively; returned as spelled in `values`. */
  oneOf<T extends string | number>(
    obj: Json,
    key: string,
    at: string,
    values: readonly T[],
    required = false,
  ): T | undefined {
    const v = obj[key];
    if (v === undefined) {
      if (required) this.problem(`${at}${key}`, `is missing (one of ${values.join(', ')})`);
      return undefined;
    }
    const found = values.find((x) =>
      typeof x === 'string' && typeof v === 'string' ? x.toUpperCase() === v.toUpperCase() : x === v,
    );
    if (found === undefined)
      this.problem(`${at}${key}`, `must be one of ${values.join(', ')}, not ${describe(v)}`);
    return found;
  }

  numbers(
    obj: Json,
    key: string,
    at: string,
    ok: (n: number) => boolean,
    what: string,
  ): number[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (
      !Array.isArray(v) ||
      v.length < 1 ||
      v.length > 3 ||
      !v.every((x) => typeof x === 'number' && ok(x))
    ) {
      this.problem(`${at}${key}`, `must be a list of 1 to 3 ${what}, not ${describe(v)}`);
      return undefined;
    }
    return v as number[];
  }

  signatures(obj: Json, key: string): TensorSignatureInput[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length > 64) {
      this.problem(key, `must be a list of at most 64 {"name", "type", "dims"}, not ${describe(v)}`);
      return undefined;
    }
    const out: TensorSignatureInput[] = [];
    v.forEach((item: unknown, i) => {
      const at = `${key}[${i}].`;
      if (!isObject(item)) {
        this.problem(`${key}[${i}]`, `must be an object {"name", "type", "dims"}, not ${describe(item)}`);
        return;
      }
      this.unknown(item, SIGNATURE_FIELDS, at);
      const name = this.string(item, 'name', at, true);
      const type = this.oneOf(item, 'type', at, TENSOR_TYPES, true);
      const dims = item.dims;
      const dimsOk =
        Array.isArray(dims) &&
        dims.length <= 8 &&
        dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= -1 && d <= 1 << 24);
      if (!dimsOk)
        this.problem(
          `${at}dims`,
          `${dims === undefined ? 'is missing' : `must be a list of at most 8 whole numbers, -1 for an open one, not ${describe(dims)}`}`,
        );
      if (name && type && dimsOk) out.push({ name, type: type.toLowerCase(), dims: dims as number[] });
    });
    return out;
  }
}

/**
 * Parses and checks a config file's text. `dir` is the config's folder, against which `labels` is
 * resolved. Every problem is reported at once, one per line, each naming the file and the field.
 */
export function parseModelConfig(text: string, shown: string, dir: string): ModelConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${shown} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed))
    throw new CliError(`${shown} must hold a JSON object like {"name": "my-model", "batchSize": 8, …}`);
  const c = new FieldChecker(shown);
  if ('onnx' in parsed)
    c.problems.push(
      `${shown}: "onnx" does not belong in the config: the model file is the command's argument`,
    );
  const { onnx: _onnx, ...rest } = parsed;
  c.unknown(rest, CONFIG_FIELDS, '');
  const config: ModelConfig = { shown };
  config.name = c.string(parsed, 'name', '');
  config.batchSize = c.integer(parsed, 'batchSize', '', 1, 1024);
  config.inputs = c.signatures(parsed, 'inputs');
  config.outputs = c.signatures(parsed, 'outputs');

  const pre = parsed.preprocess;
  if (pre !== undefined && !isObject(pre))
    c.problem('preprocess', `must be an object {"input", "width", "height", …}, not ${describe(pre)}`);
  else if (pre) {
    const at = 'preprocess.';
    c.unknown(pre, PREPROCESS_FIELDS, at);
    const input = c.string(pre, 'input', at, true);
    const width = c.integer(pre, 'width', at, 1, 8192, true);
    const height = c.integer(pre, 'height', at, 1, 8192, true);
    const keepAspect = c.boolean(pre, 'keepAspect', at);
    const channels = c.oneOf(pre, 'channels', at, [1, 3] as const);
    const colorOrder = c.oneOf(pre, 'colorOrder', at, ['RGB', 'BGR'] as const);
    let scale: number | undefined;
    if (pre.scale !== undefined) {
      if (typeof pre.scale !== 'number' || !(pre.scale > 0) || pre.scale > 1e6)
        c.problem(
          `${at}scale`,
          `must be a number above 0, e.g. 0.00392156862745098 (1/255), not ${describe(pre.scale)}`,
        );
      else scale = pre.scale;
    }
    const mean = c.numbers(pre, 'mean', at, (n) => Math.abs(n) <= 1e6, 'numbers');
    const std = c.numbers(pre, 'std', at, (n) => n > 0 && n <= 1e6, 'numbers above 0');
    const perChannel = channels ?? 3;
    for (const [key, values] of [
      ['mean', mean],
      ['std', std],
    ] as const)
      if (values && values.length !== perChannel)
        c.problem(`${at}${key}`, `needs ${perChannel} values, one per channel, not ${values.length}`);
    if (input !== undefined && width !== undefined && height !== undefined)
      config.preprocess = {
        input,
        width,
        height,
        ...(keepAspect === undefined ? {} : { keepAspect }),
        ...(channels === undefined ? {} : { channels }),
        ...(colorOrder === undefined ? {} : { colorOrder }),
        ...(scale === undefined ? {} : { scale }),
        ...(mean === undefined ? {} : { mean }),
        ...(std === undefined ? {} : { std }),
      };
  }

  const post = parsed.postprocess;
  if (post !== undefined && !isObject(post))
    c.problem('postprocess', `must be an object {"type", "output", …}, not ${describe(post)}`);
  else if (post) {
    const at = 'postprocess.';
    c.unknown(post, POSTPROCESS_FIELDS, at);
    const type = c.oneOf(post, 'type', at, ['ARGMAX', 'CTC_GREEDY'] as const, true);
    const output = c.string(post, 'output', at, true);
    const blankIndex = c.integer(post, 'blankIndex', at, 0, 1 << 24);
    const appendSpace = c.boolean(post, 'appendSpace', at);
    if (type === 'ARGMAX')
      for (const key of ['blankIndex', 'appendSpace'])
        if (post[key] !== undefined) c.problem(`${at}${key}`, 'applies to CTC_GREEDY only');
    if (type === 'CTC_GREEDY' && parsed.labels === undefined)
      c.problem('labels', 'is missing: CTC_GREEDY needs a labels file (one label per line)');
    if (type && output)
      config.postprocess = {
        type,
        output,
        ...(blankIndex === undefined ? {} : { blankIndex }),
        ...(appendSpace === undefined ? {} : { appendSpace }),
      };
  }

  if (parsed.labels !== undefined) {
    if (typeof parsed.labels !== 'string' || parsed.labels.trim() === '')
      c.problem(
        'labels',
        `must be the path of the labels file, relative to the config file, not ${describe(parsed.labels)}`,
      );
    else config.labelsPath = resolve(dir, parsed.labels);
  }
  if (c.problems.length) throw new CliError(c.problems.join('\n'));
  return config;
}

/** Reads and checks a config file, and that its labels file is there. `shown` is the path as typed. */
export async function loadModelConfig(path: string, shown: string): Promise<ModelConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT'
        ? `${shown}: no such config file`
        : `cannot read ${shown}: ${(error as Error).message}`,
    );
  }
  const config = parseModelConfig(text, shown, dirname(path));
  if (config.labelsPath) {
    const info = await stat(config.labelsPath).catch(() => undefined);
    if (!info?.isFile())
      throw new CliError(
        `${shown}: "labels": ${config.labelsPath}: no such file (the path is relative to the config file)`,
      );
    if (info.size === 0) throw new CliError(`${shown}: "labels": ${config.labelsPath} is empty`);
  }
  return config;
}

/**
 * The config for a model file: `--config` when given, else `MODEL.onnx.json` or `MODEL.json` beside
 * the model when one is there, else none. Returns the path and how to show it.
 */
export async function findModelConfig(
  modelPath: string,
  modelShown: string,
  explicit: string | undefined,
  cwd: string,
): Promise<{ path: string; shown: string } | undefined> {
  if (explicit !== undefined) return { path: resolve(cwd, explicit), shown: explicit };
  const stem = modelPath.slice(0, modelPath.length - extname(modelPath).length);
  const shownStem = modelShown.slice(0, modelShown.length - extname(modelShown).length);
  for (const [path, shown] of [
    [`${modelPath}.json`, `${modelShown}.json`],
    [`${stem}.json`, `${shownStem}.json`],
  ]) {
    if ((await stat(path).catch(() => undefined))?.isFile()) return { path, shown };
  }
  return undefined;
}

/** The model's name: `--name`, else the config's, else the file name without `.onnx`. */
export function modelName(modelPath: string, config: ModelConfig | undefined, flag?: string): string {
  return flag ?? config?.name ?? basename(modelPath, extname(modelPath));
}

/** The RegisterModelInput for an uploaded model (and labels). */
export function registerInput(
  name: string,
  onnx: string,
  config: ModelConfig | undefined,
  labels: string | undefined,
): RegisterModelInput {
  const input: RegisterModelInput = { name, onnx };
  if (labels) input.labels = labels;
  if (config?.batchSize !== undefined) input.batchSize = config.batchSize;
  if (config?.inputs) input.inputs = config.inputs;
  if (config?.outputs) input.outputs = config.outputs;
  if (config?.preprocess) input.preprocess = config.preprocess;
  if (config?.postprocess) input.postprocess = config.postprocess;
  return input;
}
