import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INFERENCE_OPTIONS, InferenceWorkload, ModelInfo } from '@tessera/workloads';
import {
  AgentProcess,
  CoordinatorProcess,
  createAccount,
  createTestDatabase,
  fetchJob,
  distPath,
  generateTextLines,
  gql,
  gqlRaw,
  OCR_LABELS_PATH,
  OCR_MODEL_PATH,
  OCR_MODEL_SETTINGS,
  registerOcrModel,
  spawnAgent,
  spawnCoordinator,
  TestDatabase,
  TextLine,
  uploadBlob,
  waitForJobEnd,
} from '@tessera/testing';

/**
 * Inference batches end to end: text-line images drawn by Pillow, recognised by PaddleOCR PP-OCRv4
 * (a real model from an npm package) in the real onnxruntime image on two agent processes, and
 * every output row compared with the same image run directly with the same batch size.
 */

const LINES = 48;

interface OutputRow {
  row: number;
  id?: string | number;
  outputs?: { text: string; confidence: number };
  error?: string;
}
interface InferenceJobView {
  id: string;
  state: string;
  progress: { itemsDone: number; itemsTotal: number; itemUnit: string };
  outputsUrl: string | null;
  error: { code: string; message: string } | null;
  tasks: {
    index: number;
    state: string;
    attempts: { state: string; commitment: { items: number } | null; provider: { address: string } }[];
  }[];
}
const JOB = `id state progress { itemsDone itemsTotal itemUnit } outputsUrl error { code message }
  tasks { index state attempts { state commitment { items } provider { address } } }`;

const run = promisify(execFile);
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('inference batches end to end', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  let agents: AgentProcess[];
  let apiKey: string;
  let work: string;
  let lines: TextLine[];
  let modelId: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tessera-inference-e2e-'));
    lines = generateTextLines(join(work, 'lines'), LINES, 11);
    db = await createTestDatabase('inference_e2e');
    coordinator = await spawnCoordinator({
      DATABASE_URL: db.url,
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_LEASE_TTL_SEC: '10',
      TESSERA_HEARTBEAT_SEC: '2',
      TESSERA_MAX_BLOB_MB: '16',
      TESSERA_INFERENCE_MAX_ROWS: '200',
    });
    agents = await Promise.all(
      ['infer-a', 'infer-b'].map((name) => spawnAgent({ coordinatorUrl: coordinator.url, name })),
    );
    ({ apiKey } = await createAccount(coordinator.url, 'ml-team'));
    for (const line of lines) await uploadBlob(coordinator.url, line.png, apiKey, line.sha256);
    modelId = await registerOcrModel(coordinator.url, apiKey);
  });

  afterAll(async () => {
    await Promise.all((agents ?? []).map((a) => a.stop('SIGTERM', 30_000)));
    await coordinator?.stop();
    await db?.drop();
  });

  async function uploadRows(rows: unknown[]): Promise<string> {
    const body = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await uploadBlob(coordinator.url, body, apiKey, sha256(body));
    return sha256(body);
  }

  async function submit(rows: unknown[], input: Record<string, unknown> = {}): Promise<string> {
    const data = await gql<{ submitInferenceBatch: { id: string } }>(
      coordinator.url,
      `mutation($input: SubmitInferenceBatchInput!) { submitInferenceBatch(input: $input) { id } }`,
      { input: { model: modelId, rows: await uploadRows(rows), ...input } },
      apiKey,
    );
    return data.submitInferenceBatch.id;
  }

  function job(id: string): Promise<InferenceJobView> {
    return fetchJob<InferenceJobView>(coordinator.url, apiKey, id, JOB);
  }

  function finished(id: string, timeoutMs = 180_000): Promise<InferenceJobView> {
    return waitForJobEnd<InferenceJobView>(coordinator.url, apiKey, id, JOB, { timeoutMs, pollMs: 300 });
  }

  async function outputs(view: InferenceJobView): Promise<OutputRow[]> {
    expect(view.outputsUrl).toBe(`/v1/jobs/${view.id}/outputs.jsonl`);
    const response = await fetch(new URL(view.outputsUrl as string, coordinator.url), {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    return text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputRow);
  }

  /** The same rows through the same image and command, by `docker run`, outside Tessera: one shard of all rows. */
  function runDirectly(model: ModelInfo, rows: { id: string; image: TextLine }[]): OutputRow[] {
    const sut = new InferenceWorkload(DEFAULT_INFERENCE_OPTIONS);
    const spec = sut.containerSpec(
      {
        index: 0,
        params: {
          firstRow: 0,
          rows: rows.length,
          batchSize: model.batchSize,
          device: 'ANY',
          inputs: model.inputs,
          outputs: model.outputs,
          preprocess: model.preprocess,
          postprocess: model.postprocess,
        },
        image: DEFAULT_INFERENCE_OPTIONS.image,
        inputs: [],
        timeoutSec: 600,
        requirements: { cpus: 1, memoryBytes: 2 ** 31, gpus: 0, vramBytes: 0 },
      },
      // The agents' profile on this machine: all cores, one slot.
      { cpuCores: availableParallelism(), memoryBytes: 2 ** 33, gpus: [], images: [], slots: 1 },
    );
    const dir = mkdtempSync(join(tmpdir(), 'tessera-direct-'));
    mkdirSync(join(dir, 'in', 'images'), { recursive: true });
    mkdirSync(join(dir, 'out'));
    copyFileSync(OCR_MODEL_PATH, join(dir, 'in', 'model.onnx'));
    copyFileSync(OCR_LABELS_PATH, join(dir, 'in', 'labels.txt'));
    for (const r of rows) writeFileSync(join(dir, 'in', 'images', r.image.sha256), r.image.png);
    writeFileSync(
      join(dir, 'in', 'rows.jsonl'),
      rows.map((r) => JSON.stringify({ id: r.id, image: `images/${r.image.sha256}` })).join('\n') + '\n',
    );
    chmodSync(join(dir, 'out'), 0o777);
    execFileSync('chmod', ['-R', 'a+rX', join(dir, 'in')]);
    execFileSync('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=64m',
      '--cap-drop',
      'ALL',
      '--user',
      '10001:10001',
      '-e',
      'HOME=/tmp',
      '-e',
      'ORT_DISABLE_TELEMETRY=1',
      '-v',
      `${dir}/in:/in:ro`,
      '-v',
      `${dir}/out:/out`,
      spec.image,
      ...spec.command,
    ]);
    return readFileSync(join(dir, 'out', 'outputs.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputRow);
  }

  it('recognises every line across both agents, in input order, identical to the model run directly', async () => {
    const rows = lines.map((l, i) => ({ id: `line-${i}`, image: l.sha256 }));
    const id = await submit(rows, { shardRows: 8 });
    const done = await finished(id);
    expect(done.error).toBeNull();
    expect(done.state).toBe('COMPLETED');
    expect(done.progress).toEqual({ itemsDone: LINES, itemsTotal: LINES, itemUnit: 'rows' });
    expect(done.tasks).toHaveLength(LINES / 8);
    // Every accepted shard committed to exactly its 8 rows.
    for (const task of done.tasks)
      expect(task.attempts.find((a) => a.state === 'SUCCEEDED')?.commitment?.items).toBe(8);
    const workers = new Set(
      done.tasks.map((t) => t.attempts.find((a) => a.state === 'SUCCEEDED')?.provider.address),
    );
    expect([...workers].sort()).toEqual(agents.map((a) => a.address).sort());

    const ours = await outputs(done);
    expect(ours.map((r) => r.row)).toEqual(lines.map((_, i) => i));
    expect(ours.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const exact = ours.filter((r, i) => r.outputs?.text === lines[i].text).length;
    // PP-OCRv4 read 249 of 256 such lines exactly in a trial; allow a little for the fonts drawn.
    expect(exact / LINES).toBeGreaterThanOrEqual(0.9);

    const model = (
      await gql<{ model: ModelInfo & { onnx: string } }>(
        coordinator.url,
        `query($id: ID!) { model(id: $id) { id batchSize inputs { name type dims } outputs { name type dims } } }`,
        { id: modelId },
        apiKey,
      )
    ).model;
    const direct = runDirectly(
      {
        ...model,
        preprocess: { type: 'image', ...OCR_MODEL_SETTINGS.preprocess } as ModelInfo['preprocess'],
        postprocess: { ...OCR_MODEL_SETTINGS.postprocess, type: 'ctc_greedy' } as ModelInfo['postprocess'],
      } as ModelInfo,
      lines.map((l, i) => ({ id: `line-${i}`, image: l })),
    );
    expect(ours).toEqual(direct);
  });

  it("reports a row that cannot be read as that row's error while the others succeed", async () => {
    const notAnImage = Buffer.from('hello, I am not a picture\n');
    await uploadBlob(coordinator.url, notAnImage, apiKey, sha256(notAnImage));
    const rows = lines.slice(0, 8).map((l, i) => ({ id: i, image: i === 3 ? sha256(notAnImage) : l.sha256 }));
    const done = await finished(await submit(rows));
    expect(done.state).toBe('COMPLETED');
    const ours = await outputs(done);
    expect(ours).toHaveLength(8);
    expect(ours[3]).toMatchObject({ row: 3, id: 3 });
    expect(ours[3].outputs).toBeUndefined();
    expect(ours[3].error).toMatch(/not a PNG or JPEG/);
    for (const r of ours.filter((r) => r.row !== 3)) expect(r.outputs?.text).toEqual(expect.any(String));
    expect(ours.filter((r) => r.outputs?.text === lines[r.row].text).length).toBeGreaterThanOrEqual(6);
  });

  it('still yields every row exactly once when an agent is killed -9 mid-shard', async () => {
    const rows = Array.from({ length: 96 }, (_, i) => ({ id: `k${i}`, image: lines[i % LINES].sha256 }));
    const id = await submit(rows, { shardRows: 48 });
    const deadline = Date.now() + 60_000;
    let victim: AgentProcess | undefined;
    while (!victim && Date.now() < deadline) {
      const view = await job(id);
      const running = view.tasks.find((t) => t.state === 'RUNNING');
      const holder = running?.attempts.at(-1)?.provider.address;
      victim = agents.find((a) => a.address === holder);
      if (!victim) await new Promise((r) => setTimeout(r, 100));
    }
    expect(victim).toBeDefined();
    await victim?.kill9();
    // The machine comes back (same identity, fresh process): spot-checks of the survivor's shards
    // need a second provider, and a fleet of one cannot check itself.
    agents = [
      ...agents.filter((a) => a !== victim),
      await spawnAgent({
        coordinatorUrl: coordinator.url,
        name: 'infer-c',
        keypairPath: victim?.keypairPath,
      }),
    ];
    const done = await finished(id);
    expect(done.state).toBe('COMPLETED');
    const ours = await outputs(done);
    expect(ours.map((r) => r.row)).toEqual(rows.map((_, i) => i));
    expect(ours.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    for (const task of done.tasks)
      expect(task.attempts.filter((a) => a.state === 'SUCCEEDED')).toHaveLength(1);
    expect(done.tasks.flatMap((t) => t.attempts).some((a) => a.state === 'EXPIRED')).toBe(true);
  });

  it('runs examples/ocr with the tessera CLI: registers the model on the fly and writes ordered outputs', async () => {
    const example = join(work, 'example');
    execFileSync('cp', ['-r', join(__dirname, '../../examples/ocr'), example]);
    copyFileSync(OCR_MODEL_PATH, join(example, 'ocr.onnx'));
    copyFileSync(OCR_LABELS_PATH, join(example, 'ppocr_keys_v1.txt'));
    // A fresh account: the CLI uploads the model, labels and images and registers the model itself.
    const cli = await createAccount(coordinator.url, 'cli-user');
    const env = {
      ...process.env,
      HOME: join(work, 'home'),
      TESSERA_URL: coordinator.url,
      TESSERA_API_KEY: cli.apiKey,
    };
    const out = join(work, 'example.out.jsonl');
    const { stdout } = await run(
      process.execPath,
      [
        distPath('apps/cli/src/main.js'),
        'infer',
        '--model',
        join(example, 'ocr.onnx'),
        '--input',
        join(example, 'rows.jsonl'),
        '--out',
        out,
      ],
      { env, timeout: 180_000 },
    ).catch((e: { stdout?: string; stderr?: string; killed?: boolean; code?: unknown }) => {
      throw new Error(
        `tessera infer failed (code ${String(e.code)}, killed ${String(e.killed)}):\n${e.stdout}\n${e.stderr}`,
      );
    });
    expect(stdout).toMatch(/4 rows/);
    const truth = readFileSync(join(example, 'lines', 'truth.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    const rows = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputRow);
    expect(rows.map((r) => r.row)).toEqual([0, 1, 2, 3]);
    expect(rows.map((r) => r.outputs?.text)).toEqual(truth);
    const models = await gql<{ models: { name: string }[] }>(
      coordinator.url,
      `{ models { name } }`,
      {},
      cli.apiKey,
    );
    expect(models.models.map((m) => m.name)).toEqual(['ppocr-v4-rec']);
  });

  describe('bad input: a clear error, nothing stored or queued', () => {
    async function jobCount(): Promise<number> {
      return (await gql<{ jobs: unknown[] }>(coordinator.url, `{ jobs(limit: 500) { id } }`, {}, apiKey)).jobs
        .length;
    }

    async function refusal(
      query: string,
      input: Record<string, unknown>,
    ): Promise<{ code: string; message: string }> {
      const before = await jobCount();
      const result = await gqlRaw(coordinator.url, query, { input }, apiKey);
      expect(await jobCount()).toBe(before);
      const error = result.errors?.[0];
      return { code: error?.extensions?.code as string, message: error?.message as string };
    }
    const REGISTER = `mutation($input: RegisterModelInput!) { registerModel(input: $input) { id } }`;
    const SUBMIT = `mutation($input: SubmitInferenceBatchInput!) { submitInferenceBatch(input: $input) { id } }`;

    it('refuses a file that is not an ONNX model', async () => {
      const text = Buffer.from('definitely not a protobuf model\n');
      await uploadBlob(coordinator.url, text, apiKey, sha256(text));
      const { code, message } = await refusal(REGISTER, { name: 'not-onnx', onnx: sha256(text) });
      expect(code).toBe('NOT_ONNX');
      expect(message).toMatch(/not an ONNX model onnxruntime can load: .+/);
    });

    it('refuses a declared signature the model does not have', async () => {
      const model = readFileSync(OCR_MODEL_PATH);
      const { code, message } = await refusal(REGISTER, {
        name: 'wrong-signature',
        onnx: sha256(model),
        inputs: [{ name: 'x', type: 'float32', dims: [-1, 1, 32, 100] }],
      });
      expect(code).toBe('SIGNATURE_MISMATCH');
      expect(message).toMatch(
        /input "x" has dims \[\?,3,48,\?\] in the model, which \[\?,1,32,100\] does not fit/,
      );
      const models = await gql<{ models: { name: string }[] }>(
        coordinator.url,
        `{ models { name } }`,
        {},
        apiKey,
      );
      expect(models.models.map((m) => m.name)).toEqual(['ppocr-v4-rec']);
    });

    it('refuses rows of the wrong shape or type, missing fields and an empty batch', async () => {
      const model = readFileSync(OCR_MODEL_PATH);
      // The same network fed raw tensors: rows carry [3,48,320] floats.
      const raw = (
        await gql<{ registerModel: { id: string } }>(
          coordinator.url,
          REGISTER,
          {
            input: {
              name: 'ocr-raw',
              onnx: sha256(model),
              inputs: [{ name: 'x', type: 'float32', dims: [-1, 3, 48, 320] }],
            },
          },
          apiKey,
        )
      ).registerModel.id;
      const wrongShape = await refusal(SUBMIT, {
        model: raw,
        rows: await uploadRows([
          { inputs: { x: { dims: [3, 48, 100], data: new Array(3 * 48 * 100).fill(0) } } },
        ]),
      });
      expect(wrongShape.code).toBe('INVALID_ROWS');
      expect(wrongShape.message).toMatch(
        /line 1: input "x" has dims \[3,48,100\]; the model takes \[3,48,320\] per row/,
      );
      const wrongType = await refusal(SUBMIT, {
        model: raw,
        rows: await uploadRows([
          { inputs: { x: { dims: [3, 48, 320], data: ['a', ...new Array(3 * 48 * 320 - 1).fill(0)] } } },
        ]),
      });
      expect(wrongType.message).toMatch(/value 0 \("a"\) is not a number/);
      const missing = await refusal(SUBMIT, {
        model: modelId,
        rows: await uploadRows([{ image: lines[0].sha256 }, { id: 'x' }]),
      });
      expect(missing).toEqual({
        code: 'INVALID_ROWS',
        message: expect.stringMatching(/line 2: missing "image"/),
      });
      const empty = Buffer.from('\n\n');
      await uploadBlob(coordinator.url, empty, apiKey, sha256(empty));
      const none = await refusal(SUBMIT, { model: modelId, rows: sha256(empty) });
      expect(none.message).toMatch(/the batch is empty/);
    });

    it('refuses a batch over the row limit and an upload over the size limit', async () => {
      const many = Array.from({ length: 201 }, () => ({ image: lines[0].sha256 }));
      const over = await refusal(SUBMIT, { model: modelId, rows: await uploadRows(many) });
      expect(over.code).toBe('LIMIT_EXCEEDED');
      expect(over.message).toMatch(/more than 200 rows/);
      const huge = Buffer.alloc(17 * 1024 * 1024, 0x20);
      const upload = await uploadBlob(coordinator.url, huge, apiKey, sha256(huge));
      expect(upload.status).toBe(413);
    });
  });
});
