import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCoordinator, sha256 } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';
import { OCR_CONFIG, onnxBytes, writeOcrModel } from '../../test/inference-fixtures';

describe('tessera models', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    cwd = tempDir();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
  });
  afterEach(() => fake.stop());

  it('registers a model with the config beside it: uploads model and labels, prints the signature', async () => {
    const { model, labels } = writeOcrModel(cwd);
    const run = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(fake.blobs.get(sha256(model))?.bytes).toEqual(model);
    expect(fake.blobs.get(sha256(labels))?.bytes).toEqual(labels);
    const { labels: _path, ...settings } = OCR_CONFIG;
    expect(fake.registrations).toEqual([{ ...settings, onnx: sha256(model), labels: sha256(labels) }]);
    const [registered] = fake.models.values();
    expect(run.stdout).toContain('settings from models/ocr.onnx.json\n');
    expect(run.stdout).toContain('uploaded models/ocr.onnx: ');
    expect(run.stdout).toContain(`uploaded ${join('models', 'keys.txt')}: 6 B`);
    expect(run.stdout).toContain(
      [
        `model ${registered.id} "ppocr-v4-rec"`,
        '  inputs   x float32 [?,3,48,?]',
        '  outputs  softmax_11.tmp_0 float32 [?,?,6625]',
        '  batch    8 rows, 12.5 ms/row measured (2 CPU threads)',
        '  rows     {"id"?, "image": PNG/JPEG} → x: 320x48 keeping the aspect, BGR',
        '  decoded  CTC_GREEDY of softmax_11.tmp_0',
        'next: tessera infer --model ppocr-v4-rec --input rows.jsonl',
        '',
      ].join('\n'),
    );
  });

  it('skips uploads the coordinator already has, and registering the same again returns the model', async () => {
    writeOcrModel(cwd);
    expect((await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd })).code).toBe(0);
    const puts = fake.requests.filter((r) => r.method === 'PUT').length;
    const again = await runTessera(['models', 'register', 'models/ocr.onnx', '--json'], { env, cwd });

    expect(again.code).toBe(0);
    expect(fake.requests.filter((r) => r.method === 'PUT').length).toBe(puts);
    expect(again.stderr).toMatch(/models\/ocr\.onnx \(\d+ B, sha256 [0-9a-f]{12}…\) is already uploaded/);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: 'ppocr-v4-rec', batchSize: 8, msPerRow: 12.5 });
    expect(fake.models.size).toBe(1);
  });

  it('takes --name and --config, and registers a bare model under its file name', async () => {
    writeOcrModel(cwd, null);
    writeFileSync(join(cwd, 'settings.json'), JSON.stringify({ batchSize: 4 }));
    const named = await runTessera(
      ['models', 'register', 'models/ocr.onnx', '--config', 'settings.json', '--name', 'mine'],
      { env, cwd },
    );
    expect(named.code).toBe(0);
    expect(fake.registrations[0]).toMatchObject({ name: 'mine', batchSize: 4 });

    const bare = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    expect(bare.code).toBe(0);
    expect(fake.registrations[1]).toEqual({ name: 'ocr', onnx: expect.any(String) as string });
  });

  it('checks the config before uploading anything, naming the field', async () => {
    writeOcrModel(cwd, { ...OCR_CONFIG, batchSize: '8', preprocess: { ...OCR_CONFIG.preprocess, width: 0 } });
    const run = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });

    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'error: models/ocr.onnx.json: "batchSize" must be a whole number from 1 to 1024, not "8"',
        'error: models/ocr.onnx.json: "preprocess.width" must be a whole number from 1 to 8192, not 0',
        '',
      ].join('\n'),
    });
    expect(fake.requests).toEqual([]);
  });

  it('refuses a file that is not ONNX locally, and says so for a Git LFS pointer', async () => {
    writeOcrModel(cwd, OCR_CONFIG, Buffer.from('version https://git-lfs.github.com/spec/v1\n'));
    const run = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    expect(run.stderr).toBe(
      'error: models/ocr.onnx is not an ONNX model: it starts with "version " (a Git LFS pointer: run "git lfs pull")\n',
    );
    expect(fake.requests).toEqual([]);
  });

  it("prints the coordinator's refusals: NOT_ONNX, MODEL_EXISTS, SIGNATURE_MISMATCH", async () => {
    writeOcrModel(cwd);
    fake.refuseRegister = {
      code: 'NOT_ONNX',
      message: 'models/ocr.onnx is not an ONNX model onnxruntime can open: protobuf parsing failed',
    };
    const notOnnx = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    expect(notOnnx).toMatchObject({
      code: 1,
      stderr:
        'error: NOT_ONNX: models/ocr.onnx is not an ONNX model onnxruntime can open: protobuf parsing failed\n',
    });
    fake.refuseRegister = undefined;
    expect((await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd })).code).toBe(0);

    writeOcrModel(cwd, OCR_CONFIG, onnxBytes('newer weights'));
    const exists = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    const [model] = fake.models.values();
    expect(exists).toMatchObject({
      code: 1,
      stderr: `error: MODEL_EXISTS: you already have a model named "ppocr-v4-rec" (${model.id}) with another file or settings; choose another name\n`,
    });

    writeOcrModel(cwd, {
      ...OCR_CONFIG,
      name: 'v2',
      inputs: [{ name: 'image', type: 'float32', dims: [-1, 3, 48, 320] }],
    });
    const mismatch = await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    expect(mismatch.stderr).toBe(
      'error: SIGNATURE_MISMATCH: the model does not match: the model has no input "image" (its inputs: x)\n',
    );
  });

  it('lists models newest first as a table, or as JSON', async () => {
    expect((await runTessera(['models'], { env })).stdout).toBe(
      'no models yet: tessera models register MODEL.onnx\n',
    );
    writeOcrModel(cwd);
    await runTessera(['models', 'register', 'models/ocr.onnx'], { env, cwd });
    writeOcrModel(
      cwd,
      { batchSize: 16, inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }] },
      onnxBytes('v2'),
    );
    await runTessera(['models', 'register', 'models/ocr.onnx', '--name', 'raw-ocr'], { env, cwd });
    const [ocr, raw] = fake.models.values();
    const run = await runTessera(['models'], { env });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        `ID${' '.repeat(36)}NAME          INPUTS         OUTPUTS                     BATCH  MS/ROW  CREATED`,
        `${raw.id}  raw-ocr       x[?,3,48,320]  softmax_11.tmp_0[?,?,6625]     16    12.5  just now`,
        `${ocr.id}  ppocr-v4-rec  image 320x48   ctc_greedy                      8    12.5  just now`,
        '',
      ].join('\n'),
    );
    const json = JSON.parse((await runTessera(['models', '--json'], { env })).stdout) as { id: string }[];
    expect(json.map((m) => m.id)).toEqual([raw.id, ocr.id]);
  });
});
