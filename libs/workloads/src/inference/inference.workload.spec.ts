import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ProviderProfile, ValidationContext, WorkloadInputError, WorkloadOutputError } from '../workload';
import { InferenceParams, InferenceWorkload } from './inference.workload';
import { checkProcessing, ModelInfo, reconcileSignature } from './model';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ROWS = sha('rows');
const IMG_A = sha('a');
const IMG_B = sha('b');
const MODEL_ID = '7b0e7d8e-0a4c-4e57-9a57-1f6f8f1f0a11';

const ocr: ModelInfo = {
  id: MODEL_ID,
  name: 'ocr',
  onnx: { sha256: sha('model'), size: 10_000_000 },
  labels: { sha256: sha('labels'), size: 26_000 },
  inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
  outputs: [{ name: 'softmax', type: 'float32', dims: [-1, -1, 6625] }],
  batchSize: 8,
  preprocess: {
    type: 'image',
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
  postprocess: { type: 'ctc_greedy', output: 'softmax', blankIndex: 0, appendSpace: true },
  msPerRow: 10,
};

const tabular: ModelInfo = {
  ...ocr,
  id: '11111111-2222-4333-8444-555555555555',
  labels: null,
  inputs: [{ name: 'features', type: 'float32', dims: [-1, 4] }],
  outputs: [{ name: 'logits', type: 'float32', dims: [-1, 3] }],
  preprocess: null,
  postprocess: { type: 'argmax', output: 'logits' },
  batchSize: 2,
};

const sut = new InferenceWorkload({
  image: 'tessera/onnx:1',
  gpuImage: 'tessera/onnx:1-cuda',
  targetShardSeconds: 30,
  maxRows: 100,
  checkRows: 6,
});

function context(
  lines: string[],
  stored: Buffer[] = [],
  models: ModelInfo[] = [ocr, tabular],
): ValidationContext {
  const blobs = new Map([
    [ROWS, Buffer.from(lines.join('\n'))],
    [IMG_A, Buffer.from('png a')],
    [IMG_B, Buffer.from('png b')],
  ]);
  return {
    policy: { allowedImages: [], maxTasksPerJob: 10_000, maxTimeoutSec: 86_400 },
    lookupBlob: async (s) => (blobs.has(s) ? { size: blobs.get(s)!.length } : undefined),
    openBlob: async (s) => (blobs.has(s) ? Readable.from([blobs.get(s)!]) : undefined),
    storeBlob: async (data) => {
      stored.push(data);
      return { sha256: sha(data.toString()), size: data.length };
    },
    lookupModel: async (id) => models.find((m) => m.id === id),
    market: { currency: 'TSR', renderPerMegapixelSample: 0.001, inferencePerCpuSecond: 0.01 },
    onlineProviders: 1,
  };
}

async function inputError(promise: Promise<unknown>): Promise<WorkloadInputError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkloadInputError);
  return error as WorkloadInputError;
}

const imageRows = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, image: i % 2 ? IMG_B : IMG_A }));

describe('InferenceWorkload', () => {
  describe('validate', () => {
    it('checks image rows, rewrites them for the worker and stores whole-batch shards', async () => {
      const stored: Buffer[] = [];
      const params = await sut.validate(
        { model: MODEL_ID, rows: ROWS, shardRows: 5 },
        context(imageRows(20), stored),
      );
      expect(params.rows.count).toBe(20);
      // 5 rounds up to a whole batch of 8: shards of 8, 8, 4.
      expect(params.shards.map((s) => [s.firstRow, s.rows])).toEqual([
        [0, 8],
        [8, 8],
        [16, 4],
      ]);
      expect(stored[0].toString().split('\n')[1]).toBe(
        JSON.stringify({ id: 'r1', image: `images/${IMG_B}` }),
      );
      expect(params.shards[0].images.map((i) => i.sha256).sort()).toEqual([IMG_A, IMG_B].sort());
      expect(params.estimatedCost).toBeCloseTo(20 * 0.01 * 0.01);
    });

    it('accepts inline tensors as nested lists or dims+data', async () => {
      const rows = [
        JSON.stringify({ inputs: { features: [1, 2, 3, 4] } }),
        JSON.stringify({ id: 7, inputs: { features: { dims: [4], data: [0.5, 0, 0, 1] } } }),
      ];
      const params = await sut.validate({ model: tabular.id, rows: ROWS }, context(rows));
      expect(params.rows.count).toBe(2);
    });

    it.each([
      ['a missing field', [JSON.stringify({ id: 1 })], /line 1: missing "image"/],
      ['an unknown field', [JSON.stringify({ image: IMG_A, colour: 'red' })], /unknown field "colour"/],
      ['a line that is not JSON', ['{"image": '], /line 1: not JSON/],
      ['an image that is not a digest', [JSON.stringify({ image: 'cat.png' })], /lowercase hex SHA-256/],
    ])('refuses %s with the line number', async (_what, rows, message) => {
      const error = await inputError(sut.validate({ model: MODEL_ID, rows: ROWS }, context(rows)));
      expect(error.code).toBe('INVALID_ROWS');
      expect(error.message).toMatch(message);
      expect(error.message).toMatch(/nothing was queued/);
      expect(error.field).toBe('rows');
      // The same problems, structured for clients that show them next to the line.
      expect(error.lines).toHaveLength(1);
      expect(error.message).toContain(`line 1: ${error.lines?.[0].message}`);
    });

    it.each([
      ['the wrong shape', { features: [1, 2, 3] }, /dims \[3\]; the model takes \[4\] per row/],
      ['a ragged list', { features: [[1], [2, 3]] }, /ragged/],
      ['the wrong type', { features: [1, 2, 'x', 4] }, /value 2 \("x"\) is not a number/],
      ['a wrong value count', { features: { dims: [4], data: [1, 2] } }, /2 values, but dims \[4\] need 4/],
      ['an unknown input', { feature: [1, 2, 3, 4] }, /no input "feature"/],
    ])('refuses inline tensors of %s', async (_what, inputs, message) => {
      const rows = [JSON.stringify({ inputs: { features: [1, 2, 3, 4] } }), JSON.stringify({ inputs })];
      const error = await inputError(sut.validate({ model: tabular.id, rows: ROWS }, context(rows)));
      expect(error.code).toBe('INVALID_ROWS');
      expect(error.message).toMatch(/line 2: /);
      expect(error.message).toMatch(message);
      expect(error.lines?.map((l) => l.line)).toEqual([2]);
    });

    it('refuses integer inputs out of range', async () => {
      const intModel: ModelInfo = {
        ...tabular,
        inputs: [{ name: 'features', type: 'uint8', dims: [-1, 2] }],
      };
      const rows = [JSON.stringify({ inputs: { features: [3, 256] } })];
      const error = await inputError(
        sut.validate({ model: tabular.id, rows: ROWS }, context(rows, [], [intModel])),
      );
      expect(error.message).toMatch(/uint8: value 1 \(256\) is not an integer in 0..255/);
    });

    it('refuses an empty batch, one over the row limit and unknown images, storing nothing', async () => {
      const stored: Buffer[] = [];
      const empty = await inputError(
        sut.validate({ model: MODEL_ID, rows: ROWS }, context(['', ' '], stored)),
      );
      expect(empty.message).toMatch(/empty/);
      const over = await inputError(
        sut.validate({ model: MODEL_ID, rows: ROWS }, context(imageRows(101), stored)),
      );
      expect(over.code).toBe('LIMIT_EXCEEDED');
      expect(over.message).toMatch(/more than 100 rows/);
      const unknown = [JSON.stringify({ image: IMG_A }), JSON.stringify({ image: sha('nope') })];
      const missing = await inputError(
        sut.validate({ model: MODEL_ID, rows: ROWS }, context(unknown, stored)),
      );
      expect(missing.code).toBe('INPUT_NOT_FOUND');
      expect(missing.message).toMatch(/rows 2 name images that are not uploaded/);
      expect(stored).toEqual([]);
    });

    it('refuses an unknown model, a missing batch and a price cap below the market', async () => {
      const other = await inputError(
        sut.validate({ model: '00000000-0000-4000-8000-000000000000', rows: ROWS }, context(imageRows(2))),
      );
      expect(other).toMatchObject({ code: 'INPUT_NOT_FOUND', field: 'model' });
      const noRows = await inputError(
        sut.validate({ model: MODEL_ID, rows: sha('x') }, context(imageRows(2))),
      );
      expect(noRows).toMatchObject({ code: 'INPUT_NOT_FOUND', field: 'rows' });
      const cheap = await inputError(
        sut.validate({ model: MODEL_ID, rows: ROWS, maxPrice: '0.0000001' }, context(imageRows(2))),
      );
      expect(cheap.code).toBe('PRICE_TOO_LOW');
      expect(cheap.message).toMatch(/2 rows × 10 ms at 0.01 TSR per CPU-second/);
    });
  });

  describe('shardSize', () => {
    it('aims at the target time, spreads over providers, keeps start-up small and whole batches', () => {
      // 30 s at 10 ms/row = 3000 rows; start-up floor 750; 100,000 rows on 10 providers → 5000 each.
      expect(sut.shardSize(ocr, 100_000, undefined, 10)).toBe(3000);
      // A small batch on 4 providers: spread says 125, the start-up floor says 750.
      expect(sut.shardSize(ocr, 1000, undefined, 4)).toBe(752);
      expect(sut.shardSize(ocr, 1000, 3, 4)).toBe(8);
      expect(sut.shardSize({ ...ocr, msPerRow: null }, 1000, undefined, 1) % 8).toBe(0);
    });
  });

  describe('split and containerSpec', () => {
    let params: InferenceParams;
    beforeAll(async () => {
      params = await sut.validate({ model: MODEL_ID, rows: ROWS, shardRows: 8 }, context(imageRows(10)));
    });

    it('gives each shard the model, its rows, the labels and only its images, preferring holders of the model', () => {
      const tasks = sut.split(params, { policy: context([]).policy, onlineProviders: 1 });
      expect(tasks.map((t) => t.items)).toEqual([8, 2]);
      expect(tasks[1].inputs.map((i) => i.path)).toEqual([
        'model.onnx',
        'rows.jsonl',
        'labels.txt',
        `images/${IMG_A}`,
        `images/${IMG_B}`,
      ]);
      expect(tasks[1].cacheKey).toBe(ocr.onnx.sha256);
      expect(tasks[1].params).toMatchObject({ firstRow: 8, rows: 2, batchSize: 8 });
      expect(tasks[0].requirements.gpus).toBe(0);
    });

    const cpu: ProviderProfile = {
      cpuCores: 4,
      memoryBytes: 8e9,
      gpus: [],
      images: ['tessera/onnx:1'],
      slots: 2,
    };

    it('runs the worker with its share of the CPUs and the spec on the command line', () => {
      const task = sut.split(params, { policy: context([]).policy, onlineProviders: 1 })[0];
      const spec = sut.containerSpec(task, cpu);
      expect(spec.image).toBe('tessera/onnx:1');
      expect(spec.limits.cpus).toBe(2);
      const json = JSON.parse(spec.command[spec.command.indexOf('--spec-json') + 1]);
      expect(json).toMatchObject({ batchSize: 8, threads: 2, device: 'cpu', firstRow: 0 });
      expect(json.postprocess.labels).toBe('/in/labels.txt');
    });

    it('uses the CUDA image on GPU providers that hold it, and the CPU image otherwise', () => {
      const task = sut.split(params, { policy: context([]).policy, onlineProviders: 1 })[0];
      const gpu = {
        index: 0,
        name: 'RTX 4090',
        vramBytes: 24e9,
        driverVersion: '550.54',
        computeCapability: '8.9',
      };
      const withImage = sut.containerSpec(task, { ...cpu, gpus: [gpu], images: ['tessera/onnx:1-cuda'] });
      expect(withImage).toMatchObject({ image: 'tessera/onnx:1-cuda', gpus: 1 });
      expect(sut.containerSpec(task, { ...cpu, gpus: [gpu] })).toMatchObject({
        image: 'tessera/onnx:1',
        gpus: 0,
      });
    });
  });

  describe('checkOutputs', () => {
    const task = {
      index: 1,
      params: { firstRow: 8, rows: 2, batchSize: 8 },
      image: 'tessera/onnx:1',
      requirements: { cpus: 1, memoryBytes: 1, gpus: 0, vramBytes: 0 },
      timeoutSec: 60,
      inputs: [],
    };
    const file = { path: 'outputs.jsonl', sha256: sha('o'), size: 10 };
    const check = (text: string, outputs = [file]) =>
      sut.checkOutputs(task, outputs, async () => Buffer.from(text), true);

    it('accepts one line per row, in order, each with outputs or an error', async () => {
      await expect(
        check('{"row":8,"outputs":{"text":"hi"}}\n{"row":9,"error":"not a PNG"}\n'),
      ).resolves.toBeUndefined();
    });

    it.each([
      ['a missing row', '{"row":8,"outputs":{}}\n', /1 lines for 2 rows/],
      ['rows out of order', '{"row":9,"outputs":{}}\n{"row":8,"outputs":{}}\n', /line 1 is row 9, not row 8/],
      ['a row with neither', '{"row":8,"outputs":{}}\n{"row":9}\n', /row 9 has neither outputs nor an error/],
      ['a line that is not JSON', '{"row":8,"outputs":{}}\nnope\n', /line 2 of outputs.jsonl is not JSON/],
    ])('refuses %s', async (_what, text, message) => {
      const error = await check(text).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkloadOutputError);
      expect((error as Error).message).toMatch(message);
    });

    it('refuses a missing or extra file without reading', async () => {
      await expect(sut.checkOutputs(task, [], async () => Buffer.alloc(0), false)).rejects.toThrow(/missing/);
      await expect(
        sut.checkOutputs(task, [file, { ...file, path: 'x.txt' }], async () => Buffer.alloc(0), false),
      ).rejects.toThrow(/unexpected output x.txt/);
    });
  });

  it('merges shards in row order', () => {
    const out = (i: number) => ({
      index: i,
      outputs: [{ path: 'outputs.jsonl', sha256: sha(String(i)), size: 1 }],
    });
    const merged = sut.merge({} as InferenceParams, [out(2), out(0), out(1)]);
    expect(merged.map((o) => o.path)).toEqual([
      'outputs-00000.jsonl',
      'outputs-00001.jsonl',
      'outputs-00002.jsonl',
    ]);
    expect(merged[0].sha256).toBe(sha('0'));
  });
});

describe('model signatures', () => {
  const model = [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }];

  it('lets a declaration fix open dimensions but not change fixed ones', () => {
    expect(
      reconcileSignature('input', model, [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }]),
    ).toEqual({
      signature: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }],
      problems: [],
    });
    const bad = reconcileSignature('input', model, [{ name: 'x', type: 'float32', dims: [-1, 1, 48, 320] }]);
    expect(bad.problems).toEqual([
      'input "x" has dims [?,3,48,?] in the model, which [?,1,48,320] does not fit',
    ]);
    expect(
      reconcileSignature('input', model, [{ name: 'x', type: 'int64', dims: [-1, 3, 48, 320] }]).problems[0],
    ).toMatch(/is float32 in the model, not int64/);
    expect(
      reconcileSignature('input', model, [{ name: 'y', type: 'float32', dims: [1] }]).problems[0],
    ).toMatch(/no input "y" \(its inputs: x\)/);
  });

  it('checks that preprocessing and postprocessing fit the model', () => {
    expect(checkProcessing(ocr.inputs, ocr.outputs, ocr.preprocess, ocr.postprocess, 8)).toEqual([]);
    const wrongSize = checkProcessing(
      [{ name: 'x', type: 'float32', dims: [-1, 3, 32, 100] }],
      ocr.outputs,
      ocr.preprocess,
      { type: 'argmax', output: 'nope' },
      8,
    );
    expect(wrongSize).toEqual([
      'image input "x" has dims [?,3,32,100]; the preprocessing makes [N,3,48,320]',
      'postprocess.output "nope" is not an output of the model (its outputs: softmax)',
    ]);
    expect(checkProcessing([{ name: 'x', type: 'float32', dims: [1, 4] }], [], null, null, 8)).toEqual([
      'input "x" has a fixed batch of 1: set batchSize to 1',
    ]);
  });
});
