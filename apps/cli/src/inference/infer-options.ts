import { basename, extname } from 'node:path';
import { CliError } from '../cli-error';
import type { SubmitInferenceBatchInput } from '../api/operations';
import { integer, oneOf } from '../render/render-options';

/** The options of `tessera infer` as typed on the command line. */
export interface InferFlags {
  model: string;
  input: string;
  out?: string;
  config?: string;
  shardRows?: string;
  device?: string;
  maxPrice?: string;
  name?: string;
}

/**
 * Turns the flags into a SubmitInferenceBatchInput (minus `model` and `rows`), leaving unset what
 * the user left unset so the coordinator applies its defaults. Every bad option is reported at once,
 * one per line, before any file is read.
 */
export function buildInferenceInput(flags: InferFlags): Omit<SubmitInferenceBatchInput, 'model' | 'rows'> {
  const problems: string[] = [];
  const input: Omit<SubmitInferenceBatchInput, 'model' | 'rows'> = {};
  const check = (option: string, value: string | undefined, apply: (v: string) => void) => {
    if (value === undefined) return;
    try {
      apply(value);
    } catch (error) {
      problems.push(`${option}: ${(error as Error).message}`);
    }
  };
  check('--name', flags.name ?? basename(flags.input, extname(flags.input)), (v) => {
    if (v.length > 200) throw new Error('at most 200 characters');
    input.name = v;
  });
  check(
    '--shard-rows',
    flags.shardRows,
    (v) => (input.shardRows = integer(v, 1, 1_000_000, 'rows per shard')),
  );
  check('--device', flags.device, (v) => (input.device = oneOf(v, ['ANY', 'CPU', 'GPU'] as const)));
  check('--max-price', flags.maxPrice, (v) => {
    if (!/^\d+(\.\d+)?$/.test(v.trim())) throw new Error(`"${v}" is not a token amount such as 12.5`);
    input.maxPrice = v.trim();
  });
  if (!flags.model.trim()) problems.push('--model: give a .onnx file, a model id or a model name');
  if (problems.length) throw new CliError(problems.join('\n'));
  return input;
}

/** `rows.jsonl` → `rows.out.jsonl` (in the working folder). */
export function defaultOutputFile(input: string): string {
  return `${basename(input, extname(input)) || 'rows'}.out.jsonl`;
}
