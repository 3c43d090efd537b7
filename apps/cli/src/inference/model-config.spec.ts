import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../../test/cli-harness';
import { findModelConfig, loadModelConfig, parseModelConfig, registerInput } from './model-config';

const parse = (value: unknown) => parseModelConfig(JSON.stringify(value), 'm.onnx.json', '/models');
const problems = (value: unknown): string[] => {
  try {
    parse(value);
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the config to be refused');
};

describe('model config files', () => {
  it('accepts the fields of RegisterModelInput, resolving labels against the config folder', () => {
    const config = parse({
      name: 'ocr',
      batchSize: 8,
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
      preprocess: { input: 'x', width: 320, height: 48, colorOrder: 'bgr', mean: [0.5, 0.5, 0.5] },
      postprocess: { type: 'ctc_greedy', output: 'softmax' },
      labels: 'keys/labels.txt',
    });
    expect(config).toEqual({
      shown: 'm.onnx.json',
      name: 'ocr',
      batchSize: 8,
      inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
      outputs: undefined,
      preprocess: { input: 'x', width: 320, height: 48, colorOrder: 'BGR', mean: [0.5, 0.5, 0.5] },
      postprocess: { type: 'CTC_GREEDY', output: 'softmax' },
      labelsPath: '/models/keys/labels.txt',
    });
    expect(registerInput('ocr', 'a'.repeat(64), config, 'b'.repeat(64))).toEqual({
      name: 'ocr',
      onnx: 'a'.repeat(64),
      labels: 'b'.repeat(64),
      batchSize: 8,
      inputs: config.inputs,
      preprocess: config.preprocess,
      postprocess: config.postprocess,
    });
  });

  it('refuses text that is not a JSON object', () => {
    expect(() => parseModelConfig('{"name": "x",}', 'm.json', '/')).toThrow(/^m\.json is not valid JSON: /);
    expect(() => parseModelConfig('[1]', 'm.json', '/')).toThrow(
      'm.json must hold a JSON object like {"name": "my-model", "batchSize": 8, …}',
    );
  });

  it('names every unknown or mistyped field at once, with its path', () => {
    expect(
      problems({
        name: '',
        batchSize: 8.5,
        preproces: {},
        onnx: 'abc',
        inputs: [{ name: 'x', type: 'float16', dims: [1, 'a'] }],
        preprocess: { input: 'x', width: '320', keepAspect: 'yes', channels: 2, std: [0, 1, 1], extra: 1 },
        postprocess: { type: 'ARGMAX', output: 'y', blankIndex: 0 },
        labels: 7,
      }),
    ).toEqual([
      'm.onnx.json: "onnx" does not belong in the config: the model file is the command\'s argument',
      'm.onnx.json: unknown field "preproces" (known: name, batchSize, inputs, outputs, preprocess, postprocess, labels)',
      'm.onnx.json: "name" must be a text of 1 to 200 characters, not ""',
      'm.onnx.json: "batchSize" must be a whole number from 1 to 1024, not 8.5',
      'm.onnx.json: "inputs[0].type" must be one of float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, bool, not "float16"',
      'm.onnx.json: "inputs[0].dims" must be a list of at most 8 whole numbers, -1 for an open one, not [1,"a"]',
      'm.onnx.json: unknown field "preprocess.extra" (known: input, width, height, keepAspect, channels, colorOrder, scale, mean, std)',
      'm.onnx.json: "preprocess.width" must be a whole number from 1 to 8192, not "320"',
      'm.onnx.json: "preprocess.height" is missing',
      'm.onnx.json: "preprocess.keepAspect" must be true or false, not "yes"',
      'm.onnx.json: "preprocess.channels" must be one of 1, 3, not 2',
      'm.onnx.json: "preprocess.std" must be a list of 1 to 3 numbers above 0, not [0,1,1]',
      'm.onnx.json: "postprocess.blankIndex" applies to CTC_GREEDY only',
      'm.onnx.json: "labels" must be the path of the labels file, relative to the config file, not 7',
    ]);
  });

  it('wants one mean and std per channel, and a labels file for CTC_GREEDY', () => {
    expect(
      problems({
        preprocess: { input: 'x', width: 32, height: 32, channels: 1, mean: [0.5, 0.5, 0.5] },
        postprocess: { type: 'CTC_GREEDY', output: 'y' },
      }),
    ).toEqual([
      'm.onnx.json: "preprocess.mean" needs 1 values, one per channel, not 3',
      'm.onnx.json: "labels" is missing: CTC_GREEDY needs a labels file (one label per line)',
    ]);
    expect(problems({ postprocess: { output: 'y' } })).toEqual([
      'm.onnx.json: "postprocess.type" is missing (one of ARGMAX, CTC_GREEDY)',
    ]);
  });

  it('finds MODEL.onnx.json, then MODEL.json, beside the model; --config wins', async () => {
    const dir = tempDir();
    const model = join(dir, 'ocr.onnx');
    expect(await findModelConfig(model, 'ocr.onnx', undefined, dir)).toBeUndefined();
    writeFileSync(join(dir, 'ocr.json'), '{}');
    expect(await findModelConfig(model, 'ocr.onnx', undefined, dir)).toEqual({
      path: join(dir, 'ocr.json'),
      shown: 'ocr.json',
    });
    writeFileSync(join(dir, 'ocr.onnx.json'), '{}');
    expect(await findModelConfig(model, 'ocr.onnx', undefined, dir)).toEqual({
      path: join(dir, 'ocr.onnx.json'),
      shown: 'ocr.onnx.json',
    });
    expect(await findModelConfig(model, 'ocr.onnx', 'other.json', dir)).toEqual({
      path: join(dir, 'other.json'),
      shown: 'other.json',
    });
  });

  it('says when the config or its labels file is missing', async () => {
    const dir = tempDir();
    await expect(loadModelConfig(join(dir, 'nope.json'), 'nope.json')).rejects.toThrow(
      'nope.json: no such config file',
    );
    mkdirSync(join(dir, 'cfg'));
    writeFileSync(join(dir, 'cfg', 'm.json'), '{"labels": "keys.txt"}');
    await expect(loadModelConfig(join(dir, 'cfg', 'm.json'), 'cfg/m.json')).rejects.toThrow(
      `cfg/m.json: "labels": ${join(dir, 'cfg', 'keys.txt')}: no such file (the path is relative to the config file)`,
    );
  });

  it('keeps examples/ocr/ocr.onnx.json valid: PP-OCRv4 recognition as PaddleOCR feeds it', () => {
    const dir = resolve(__dirname, '../../../../examples/ocr');
    const config = parseModelConfig(readFileSync(join(dir, 'ocr.onnx.json'), 'utf8'), 'ocr.onnx.json', dir);
    expect(config).toMatchObject({
      name: 'ppocr-v4-rec',
      batchSize: 8,
      preprocess: { input: 'x', width: 320, height: 48, keepAspect: true, colorOrder: 'BGR' },
      postprocess: { type: 'CTC_GREEDY', output: 'softmax_11.tmp_0', blankIndex: 0, appendSpace: true },
      labelsPath: join(dir, 'ppocr_keys_v1.txt'),
    });
  });
});
