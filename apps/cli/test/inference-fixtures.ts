/** Local files for inference tests: images that pass the PNG/JPEG check, a model with its config. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PNG_MAGIC = Buffer.from('89504e470d0a1a0a', 'hex');

/** Bytes that pass the local image check: a PNG (or JPEG) signature and `body`. */
export function imageBytes(body: string, kind: 'png' | 'jpeg' = 'png'): Buffer {
  const magic = kind === 'png' ? PNG_MAGIC : Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
  return Buffer.concat([magic, Buffer.from(body)]);
}

/** Bytes that start like an ONNX ModelProto (ir_version first); the fake reads nothing else. */
export function onnxBytes(body = 'fake weights', size = 0): Buffer {
  const bytes = Buffer.concat([Buffer.from([0x08, 0x08, 0x12, 0x04]), Buffer.from(body)]);
  return size > bytes.length ? Buffer.concat([bytes, Buffer.alloc(size - bytes.length, 1)]) : bytes;
}

/** The example's settings (examples/ocr/ocr.onnx.json), labels beside the config. */
export const OCR_CONFIG = {
  name: 'ppocr-v4-rec',
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
  labels: 'keys.txt',
};

export function writeFile(path: string, bytes: Buffer | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** `dir/models/ocr.onnx` with `ocr.onnx.json` (unless config is null) and `keys.txt` beside it. */
export function writeOcrModel(
  dir: string,
  config: Record<string, unknown> | null = OCR_CONFIG,
  bytes = onnxBytes(),
): { model: Buffer; labels: Buffer } {
  const labels = Buffer.from('a\nb\nc\n');
  writeFile(join(dir, 'models', 'ocr.onnx'), bytes);
  writeFile(join(dir, 'models', 'keys.txt'), labels);
  if (config) writeFile(join(dir, 'models', 'ocr.onnx.json'), JSON.stringify(config, null, 2));
  return { model: bytes, labels };
}

/** Three text-line images (two the same bytes) and `rows.jsonl` naming them, one by SHA-256. */
export function writeImageRows(dir: string, extra: string[] = []): { images: Buffer[] } {
  const a = imageBytes('line a');
  const b = imageBytes('line b', 'jpeg');
  writeFile(join(dir, 'lines', 'a.png'), a);
  writeFile(join(dir, 'lines', 'b.jpg'), b);
  writeFile(join(dir, 'lines', 'copy-of-a.png'), a);
  writeFile(
    join(dir, 'rows.jsonl'),
    [
      '{"id": "a", "image": "lines/a.png"}',
      '{"id": "b", "image": "lines/b.jpg"}',
      '{"id": "c", "image": "lines/copy-of-a.png"}',
      ...extra,
      '',
    ].join('\n'),
  );
  return { images: [a, b] };
}
