import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@tessera/testing';
import { FakeCoordinator, sha256 } from '../../test/fake-coordinator';
import { runTessera, tempDir } from '../../test/cli-harness';
import {
  imageBytes,
  OCR_CONFIG,
  writeFile,
  writeImageRows,
  writeOcrModel,
} from '../../test/inference-fixtures';

describe('tessera infer', () => {
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

  /** Registers the OCR model as `models register` would, without the CLI; returns its id. */
  async function register(name = 'ppocr-v4-rec'): Promise<string> {
    const { model, labels } = writeOcrModel(cwd);
    fake.addBlob(model, apiKey);
    fake.addBlob(labels, apiKey);
    const { labels: _labels, ...settings } = OCR_CONFIG;
    const res = await fetch(`${fake.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({
        query: 'mutation($i: RegisterModelInput!) { registerModel(input: $i) { id } }',
        variables: { i: { ...settings, name, onnx: sha256(model), labels: sha256(labels) } },
      }),
    });
    return ((await res.json()) as { data: { registerModel: { id: string } } }).data.registerModel.id;
  }

  const requestsBesides = (...operations: string[]) =>
    fake.requests.filter((r) => !operations.includes(r.operation ?? ''));

  it('registers the .onnx on the fly, uploads each image once, follows the rows and downloads the outputs', async () => {
    const { model, labels } = writeOcrModel(cwd);
    const { images } = writeImageRows(cwd, [
      `{"id": "d", "image": "${sha256(imageBytes('uploaded before'))}"}`,
    ]);
    fake.addBlob(imageBytes('uploaded before'), apiKey);
    fake.failingRows.set(1, 'IMAGE_UNDECODABLE: the JPEG is truncated');
    const running = runTessera(
      ['infer', '--model', 'models/ocr.onnx', '--input', 'rows.jsonl', '--shard-rows', '2'],
      {
        env,
        cwd,
      },
    );
    await eventually(() => fake.subscriberCount('job-1') === 1);
    fake.acceptTask('job-1', 0, 'gpu-box');
    fake.acceptTask('job-1', 1, 'cpu-box');
    const run = await running;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Model, labels, two distinct images (a.png and its copy are one upload) and the rows.
    for (const bytes of [model, labels, ...images])
      expect(fake.blobs.get(sha256(bytes))?.bytes).toEqual(bytes);
    expect(fake.requests.filter((r) => r.method === 'PUT')).toHaveLength(5);
    const [registered] = fake.models.values();
    expect(registered).toMatchObject({ name: 'ppocr-v4-rec', labels: sha256(labels), batchSize: 8 });
    const job = fake.jobs.get('job-1')!;
    expect(job.input).toEqual({
      model: registered.id,
      rows: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
      name: 'rows',
      shardRows: 2,
    });
    expect(fake.blobs.get(job.input.rows as string)!.bytes.toString()).toBe(
      [
        `{"id":"a","image":"${sha256(images[0])}"}`,
        `{"id":"b","image":"${sha256(images[1])}"}`,
        `{"id":"c","image":"${sha256(images[0])}"}`,
        `{"id": "d", "image": "${sha256(imageBytes('uploaded before'))}"}`,
        '',
      ].join('\n'),
    );

    const out = join(cwd, 'rows.out.jsonl');
    expect(readFileSync(out, 'utf8')).toBe(
      [
        '{"row":0,"id":"a","outputs":{"text":"text of row 0","confidence":0.99}}',
        '{"row":1,"id":"b","error":"IMAGE_UNDECODABLE: the JPEG is truncated"}',
        '{"row":2,"id":"c","outputs":{"text":"text of row 2","confidence":0.99}}',
        '{"row":3,"id":"d","outputs":{"text":"text of row 3","confidence":0.99}}',
        '',
      ].join('\n'),
    );
    expect(readdirSync(cwd).filter((f) => f.endsWith('.part'))).toEqual([]);
    expect(run.stdout).toContain(
      'registering models/ocr.onnx as model "ppocr-v4-rec" with models/ocr.onnx.json\n',
    );
    expect(run.stdout).toContain(`model ${registered.id} "ppocr-v4-rec"\n  inputs   x float32 [?,3,48,?]\n`);
    expect(run.stdout).toContain('3 images (38 B, 1 identical to another): uploading 2\n');
    expect(run.stdout).toContain('uploaded 2 images: 24 B');
    expect(run.stdout).toContain(
      'job job-1 QUEUED: 4 rows in 2 tasks on model "ppocr-v4-rec", estimated cost 0.0005 TSR\n',
    );
    expect(run.stdout).toContain('QUEUED 0/4 rows (0%)\nRUNNING 2/4 rows (50%), ETA 2s\n');
    expect(run.stdout).toMatch(/job job-1 COMPLETED: 4\/4 rows \(100%\) in \d+s\n/);
    expect(run.stdout).toMatch(
      new RegExp(
        [
          `downloaded outputs to ${out}: \\d+ B in \\d+s[^\\n]*`,
          `wrote 4 rows to ${out}`,
          '1 of 4 rows failed; the job still completed: their lines carry "error" instead of "outputs"',
          '  row 1 \\(id "b"\\): IMAGE_UNDECODABLE: the JPEG is truncated',
          '4 rows in \\d+s wall time( \\([\\d.]+ rows/s\\))?, estimated cost 0.0005 TSR',
          '',
        ].join('\\n') + '$',
      ),
    );
  });

  it('runs rows through a model named or given by id, with nothing to upload twice', async () => {
    const id = await register();
    writeImageRows(cwd);
    fake.autoRenderMs = 5;
    const byName = await runTessera(
      ['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl', '--out', 'a.jsonl'],
      {
        env,
        cwd,
      },
    );
    expect(byName.stderr).toBe('');
    expect(byName.code).toBe(0);
    expect(byName.stdout).toContain('all 3 rows have outputs\n');

    const puts = fake.requests.filter((r) => r.method === 'PUT').length;
    const byId = await runTessera(
      [
        'infer',
        '--model',
        id,
        '--input',
        'rows.jsonl',
        '--out',
        'out/b.jsonl',
        '--device',
        'gpu',
        '--max-price',
        '5',
        '--name',
        'nightly',
      ],
      { env, cwd },
    );
    expect(byId.code).toBe(0);
    expect(fake.requests.filter((r) => r.method === 'PUT').length).toBe(puts);
    expect(byId.stdout).toContain('3 images (38 B, 1 identical to another): all already uploaded\n');
    expect(byId.stdout).toMatch(/rows\.jsonl \(3 rows\) \(\d+ B, sha256 [0-9a-f]{12}…\) is already uploaded/);
    expect(fake.jobs.get('job-2')!.input).toMatchObject({
      model: id,
      device: 'GPU',
      maxPrice: '5',
      name: 'nightly',
    });
    expect(readFileSync(join(cwd, 'out', 'b.jsonl'), 'utf8')).toBe(
      readFileSync(join(cwd, 'a.jsonl'), 'utf8'),
    );
  });

  it('uses a registered model whose file has the same SHA-256 instead of registering it again', async () => {
    await register('ocr-prod');
    writeImageRows(cwd);
    fake.autoRenderMs = 5;
    const run = await runTessera(['infer', '--model', 'models/ocr.onnx', '--input', 'rows.jsonl'], {
      env,
      cwd,
    });

    expect(run.code).toBe(0);
    expect(fake.registrations).toHaveLength(1);
    expect(run.stdout).toContain(
      `models/ocr.onnx is registered as model "ocr-prod" (${[...fake.models.keys()][0]})\n`,
    );
  });

  it('prints only JSON on stdout with --json: the submitted job with --no-wait, else the summary', async () => {
    await register();
    writeImageRows(cwd);
    const submitted = await runTessera(
      ['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl', '--no-wait', '--json'],
      { env, cwd },
    );
    expect(submitted.code).toBe(0);
    expect(JSON.parse(submitted.stdout)).toMatchObject({
      id: 'job-1',
      kind: 'inference',
      state: 'QUEUED',
      progress: { itemsTotal: 3, itemUnit: 'rows' },
      params: { estimatedCost: 0.000375, currency: 'TSR' },
    });

    fake.autoRenderMs = 5;
    fake.failingRows.set(2, 'IMAGE_TOO_LARGE: 9000x9000 is over the limit');
    const done = await runTessera(['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl', '--json'], {
      env,
      cwd,
    });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({
      job: { id: 'job-2', state: 'COMPLETED' },
      out: join(cwd, 'rows.out.jsonl'),
      rows: 3,
      rowsWithErrors: 1,
      errors: [{ row: 2, id: 'c', error: 'IMAGE_TOO_LARGE: 9000x9000 is over the limit' }],
      estimatedCost: 0.000375,
      currency: 'TSR',
    });
    expect(done.stderr).toContain('1 of 3 rows failed');
  });

  it('follows --no-wait with the commands to watch and download', async () => {
    await register();
    writeImageRows(cwd);
    const run = await runTessera(['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl', '--no-wait'], {
      env,
      cwd,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('follow it: tessera watch job-1    outputs: tessera download job-1\n');
  });

  it('checks options, rows and images before any request, with line numbers', async () => {
    writeOcrModel(cwd);
    const options = await runTessera(
      [
        'infer',
        '--model',
        'models/ocr.onnx',
        '--input',
        'rows.jsonl',
        '--device',
        'tpu',
        '--shard-rows',
        '0',
        '--max-price',
        'lots',
      ],
      { env, cwd },
    );
    expect(options.stderr).toBe(
      [
        'error: --shard-rows: rows per shard must be 1..1000000, not 0',
        'error: --device: "tpu" is not one of any, cpu, gpu',
        'error: --max-price: "lots" is not a token amount such as 12.5',
        '',
      ].join('\n'),
    );

    writeImageRows(cwd, [
      '{"id": "e", "image": "lines/e.png"}',
      'not json',
      '{"id": "f", "image": "models/keys.txt"}',
    ]);
    const rows = await runTessera(['infer', '--model', 'models/ocr.onnx', '--input', 'rows.jsonl'], {
      env,
      cwd,
    });
    expect(rows).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        `error: rows.jsonl line 4: image ${join('lines', 'e.png')}: no such file (paths are relative to rows.jsonl's folder)`,
        'error: rows.jsonl line 5: not JSON: "not json"',
        `error: rows.jsonl line 6: image ${join('models', 'keys.txt')} is not a PNG or JPEG: it starts with "a.b.c."`,
        'error: nothing was uploaded',
        '',
      ].join('\n'),
    });
    expect(fake.requests).toEqual([]);
  });

  it('says how to give an unregistered .onnx its config, having uploaded nothing', async () => {
    writeOcrModel(cwd, null);
    writeImageRows(cwd);
    const run = await runTessera(['infer', '--model', 'models/ocr.onnx', '--input', 'rows.jsonl'], {
      env,
      cwd,
    });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: models\/ocr\.onnx \(sha256 [0-9a-f]{12}…\) is not registered and has no config: write models\/ocr\.onnx\.json beside it \(name, batchSize, preprocess, postprocess, labels; see examples\/ocr\) or pass --config, or register it with "tessera models register models\/ocr\.onnx"\n$/,
    );
    expect(requestsBesides('Models')).toEqual([]);
  });

  it('refuses rows of the wrong kind for the model before uploading them', async () => {
    await register();
    writeFile(join(cwd, 'rows.jsonl'), '{"id": 1, "inputs": {"x": [[0.5]]}}\n');
    const before = fake.requests.length;
    const run = await runTessera(['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl'], { env, cwd });

    expect(run.stderr).toBe(
      'error: rows.jsonl line 1: model "ppocr-v4-rec" takes images: rows need "image" (a PNG or JPEG file), not "inputs"\n',
    );
    expect(fake.requests.slice(before).map((r) => r.operation)).toEqual(['Models']);
  });

  it('names a model that is not there, and refuses --config for one that is registered', async () => {
    writeImageRows(cwd);
    const missing = await runTessera(['infer', '--model', 'nope', '--input', 'rows.jsonl'], { env, cwd });
    expect(missing.stderr).toBe(
      'error: no model "nope" in your account: "tessera models" lists them; pass a .onnx file to register one\n',
    );
    const config = await runTessera(
      ['infer', '--model', 'nope', '--input', 'rows.jsonl', '--config', 'c.json'],
      {
        env,
        cwd,
      },
    );
    expect(config.stderr).toBe(
      'error: --config applies to a .onnx file; model "nope" is registered with its settings\n',
    );
  });

  it("prints the coordinator's refusals of the batch: INVALID_ROWS, PRICE_TOO_LOW", async () => {
    await register();
    writeImageRows(cwd, [`{"id": "x", "image": "${'f'.repeat(64)}"}`]);
    const invalid = await runTessera(['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl'], {
      env,
      cwd,
    });
    expect(invalid.stderr).toBe(
      `error: INVALID_ROWS: the batch has rows the model cannot take; nothing was queued: line 4: image ${'f'.repeat(64)} is not uploaded\n`,
    );

    writeImageRows(cwd);
    const price = await runTessera(
      ['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl', '--max-price', '0.0001'],
      { env, cwd },
    );
    expect(price).toMatchObject({
      code: 1,
      stderr:
        'error: PRICE_TOO_LOW: maxPrice 0.0001 TSR is below what providers charge for this batch at the current market price: 0.000375 TSR\n',
    });
    expect(fake.jobs.size).toBe(0);
  });

  it('exits 1 with the job error when the batch fails, writing no outputs', async () => {
    await register();
    writeImageRows(cwd);
    const running = runTessera(['infer', '--model', 'ppocr-v4-rec', '--input', 'rows.jsonl'], { env, cwd });
    await eventually(() => fake.subscriberCount('job-1') === 1);
    fake.acceptTask('job-1', 0);
    fake.finish('job-1', 'FAILED', { code: 'TASK_FAILED', message: 'task 1 failed 3 times: out of memory' });
    const run = await running;

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: job job-1 FAILED: TASK_FAILED: task 1 failed 3 times: out of memory; 2 of 3 rows were done\n',
    );
    expect(existsSync(join(cwd, 'rows.out.jsonl'))).toBe(false);
  });
});

describe('tessera download of an inference batch', () => {
  let fake: FakeCoordinator;
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    const apiKey = fake.addAccount();
    cwd = tempDir();
    env = { TESSERA_URL: fake.url, TESSERA_API_KEY: apiKey };
    writeOcrModel(cwd);
    writeImageRows(cwd);
    const run = await runTessera(
      ['infer', '--model', 'models/ocr.onnx', '--input', 'rows.jsonl', '--no-wait', '--name', 'scans 7'],
      { env, cwd },
    );
    expect(run.code).toBe(0);
  });
  afterEach(() => fake.stop());

  it('says the outputs come when the batch completes', async () => {
    fake.acceptTask('job-1', 0);
    const run = await runTessera(['download', 'job-1'], { env, cwd });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: job job-1 is RUNNING: 2 of 3 rows so far; its outputs are ready when it completes: "tessera watch job-1"\n',
    });
  });

  it('saves the outputs JSONL as ./<job name>.out.jsonl, or into --out, and summarizes the rows', async () => {
    fake.failingRows.set(0, 'IMAGE_UNDECODABLE: not a PNG after all');
    fake.acceptTask('job-1', 0);
    fake.acceptTask('job-1', 1);
    const run = await runTessera(['download', 'job-1'], { env, cwd });

    const file = join(cwd, 'scans-7.out.jsonl');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        `3 rows in ${file}`,
        '1 of 3 rows failed; the job still completed: their lines carry "error" instead of "outputs"',
        '  row 0 (id "a"): IMAGE_UNDECODABLE: not a PNG after all',
        '',
      ].join('\n'),
    );
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(4);

    writeFile(join(cwd, 'results', '.keep'), '');
    const into = await runTessera(['download', 'job-1', '--out', 'results'], { env, cwd });
    expect(into.code).toBe(0);
    expect(readFileSync(join(cwd, 'results', 'scans-7.out.jsonl'))).toEqual(readFileSync(file));
  });
});
