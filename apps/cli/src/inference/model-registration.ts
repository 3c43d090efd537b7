import { relative } from 'node:path';
import type { Output } from '../cli-context';
import { CliError } from '../cli-error';
import type { ModelView } from '../api/operations';
import type { TesseraApi } from '../api/tessera-api';
import { checkLocalFile } from '../files/local-file';
import { hashAndUpload, LocalUpload, uploadUnlessPresent } from '../files/upload';
import { formatSignature } from '../ui/format';
import { findModelConfig, loadModelConfig, ModelConfig, modelName, registerInput } from './model-config';
import { checkOnnxFile, OnnxFile } from './onnx-file';

/** A local model checked and ready to register: the file, its config (if any) and its name. */
export interface LocalModel {
  onnx: OnnxFile;
  config?: ModelConfig;
  /** The config's labels file. */
  labels?: LocalUpload;
  name: string;
}

/**
 * Everything about a local model that can be checked without the network: the .onnx starts like
 * one, the config (`--config`, else `MODEL.onnx.json` / `MODEL.json` beside it) parses and names only
 * known fields of the right types, and its labels file is there.
 */
export async function checkLocalModel(
  shown: string,
  cwd: string,
  opts: { config?: string; name?: string },
): Promise<LocalModel> {
  const onnx = await checkOnnxFile(shown, cwd);
  const found = await findModelConfig(onnx.path, shown, opts.config, cwd);
  const config = found ? await loadModelConfig(found.path, found.shown) : undefined;
  const name = modelName(onnx.path, config, opts.name);
  if (name.trim().length < 1 || name.length > 200)
    throw new CliError(`--name: "${name}" must be 1 to 200 characters`);
  let labels: LocalUpload | undefined;
  if (config?.labelsPath) {
    const path = config.labelsPath;
    const shownLabels = relative(cwd, path).startsWith('..') ? path : relative(cwd, path);
    labels = { path, size: await checkLocalFile(path, shownLabels, 'a labels file'), shown: shownLabels };
  }
  return { onnx, config, labels, name };
}

/**
 * Uploads the model file (unless the coordinator has it; `sha256` when already hashed) and its
 * labels file, then registers the model. The coordinator opens the file in a sandbox and refuses a
 * file that is not ONNX (NOT_ONNX), a declared signature the model lacks (SIGNATURE_MISMATCH) or a
 * name in use with other settings (MODEL_EXISTS); registering the same again returns the model.
 */
export async function registerLocalModel(
  api: TesseraApi,
  out: Output,
  model: LocalModel,
  sha256?: string,
): Promise<ModelView> {
  const onnx = sha256 ?? (await hashAndUpload(api, out, model.onnx));
  if (sha256) await uploadUnlessPresent(api, out, model.onnx, sha256);
  const labels = model.labels && (await hashAndUpload(api, out, model.labels));
  return api.registerModel(registerInput(model.name, onnx, model.config, labels));
}

/** What to know about a model: id and name, signature, batch size, speed, and how rows feed it. */
export function describeModel(m: ModelView): string[] {
  const lines = [`model ${m.id} "${m.name}"`];
  const pad = (label: string) => `  ${label.padEnd(9)}`;
  m.inputs.forEach((t, i) => lines.push(`${pad(i === 0 ? 'inputs' : '')}${formatSignature(t)}`));
  m.outputs.forEach((t, i) => lines.push(`${pad(i === 0 ? 'outputs' : '')}${formatSignature(t)}`));
  const speed = m.msPerRow === null ? 'speed not measured' : `${m.msPerRow} ms/row measured (2 CPU threads)`;
  lines.push(`${pad('batch')}${m.batchSize} rows, ${speed}`);
  const p = m.preprocess;
  lines.push(
    p
      ? `${pad('rows')}{"id"?, "image": PNG/JPEG} → ${p.input}: ${p.width}x${p.height}${p.keepAspect ? ' keeping the aspect' : ''}, ${p.channels === 1 ? 'gray' : p.colorOrder}`
      : `${pad('rows')}{"id"?, "inputs": {${m.inputs.map((t) => `"${t.name}"`).join(', ')}}}`,
  );
  if (m.postprocess) lines.push(`${pad('decoded')}${m.postprocess.type} of ${m.postprocess.output}`);
  return lines;
}
