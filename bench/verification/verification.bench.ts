/**
 * bench/verification: how well spot-checks catch cheaters, with the real comparators on real
 * outputs and through the real coordinator, and what the checks cost.
 *
 *   npm run build && npm run bench:verification
 *
 * 1. Per-check catch rates (catch-rates.ts): real Blender frames and real PP-OCRv4 rows, checks
 *    drawn by the kinds' own sampleCheck, the verifier's side re-executed as a check task does it
 *    (border renders of the regions; the sampled rows as a shard of their own), decided by the
 *    kinds' own compareCheck. BENCH_RENDER_CHECKS + BENCH_INFERENCE_CHECKS honest checks (1,000 by
 *    default): every reject is a false positive.
 * 2. Detection against number of tasks, exactly (detectionWithin, the adaptive policy) with the worst
 *    measured catch rate, and measured through the coordinator (scheduler-sim.ts): cheaters at 1 %,
 *    10 % and 50 % and honest providers as protocol-level agents against the compiled coordinator.
 * 3. Extra compute for a provider with a clean record, from the per-check cost and the policy's
 *    floor, cross-checked with the checked fraction the simulation measured at the floor.
 *
 * Writes bench/results/verification.json with `detectionWithin50At10pct`, `overheadCleanRecord` and
 * `falsePositives` at the top level. bench/README.md describes the method and the knobs.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DEFAULT_INFERENCE_OPTIONS,
  DEFAULT_RENDER_OPTIONS,
  DEFAULT_SAMPLING_POLICY,
  detectionWithin,
  tasksToCatch,
} from '@tessera/workloads';
import { machineInfo, repoRoot } from '../lib/environment';
import { round, table, toJson } from '../lib/stats';
import { inferenceCatches, renderCatches } from './catch-rates';
import { SimResult, simulate } from './scheduler-sim';

const env = process.env;
const num = (name: string, fallback: number, min: number) => Math.max(min, Number(env[name] ?? fallback));
const RENDER_CHECKS = num('BENCH_RENDER_CHECKS', 500, 1);
const INFERENCE_CHECKS = num('BENCH_INFERENCE_CHECKS', 500, 1);
/** Rows of the provider's shard in part 1, text lines in the simulation, and the simulation's shard size. */
const ROWS = num('BENCH_ROWS', 64, 16);
/** Regions one render check re-renders (each 1/16 of a frame): the coordinator's TESSERA_CHECK_REGIONS default. */
const REGIONS_PER_CHECK = num('BENCH_REGIONS_PER_CHECK', DEFAULT_RENDER_OPTIONS.checkRegions, 1);
/** Rows one inference check re-runs: the coordinator's TESSERA_CHECK_ROWS default. */
const ROWS_PER_CHECK = num('BENCH_ROWS_PER_CHECK', DEFAULT_INFERENCE_OPTIONS.checkRows, 1);
/** Regions per Blender run of the verifier's side (render.py takes up to 1000; long runs slow down). */
const REGIONS_PER_RUN = Math.min(1000, num('BENCH_REGIONS_PER_RUN', 250, 1));
const SIM = env.BENCH_SIM !== '0';
/**
 * Cheaters per cheat fraction, `f:K,…` (or one K for 1 %, 10 % and 50 %). A 1 % cheater works
 * through ~45 tasks, nearly all checked; a 10 % one ~11 and a 50 % one ~4 before it is caught,
 * so the defaults spend the time where a cheater is cheap and the 10 % target is.
 */
const SIM_CHEATERS = parseCheaters(env.BENCH_SIM_CHEATERS ?? '0.01:50,0.1:100,0.5:100');
const SIM_CHEATER_TASKS = num('BENCH_SIM_TASKS', 50, 1);
const SIM_HONEST = num('BENCH_SIM_HONEST', 4, 3);
const SIM_HONEST_TASKS = num('BENCH_SIM_HONEST_TASKS', 1000, 1);
const SIM_HORIZONS = [10, 20, 50].filter((n) => n <= SIM_CHEATER_TASKS);
const HONEST_HORIZONS = [50, 200, 1000].filter((n) => n <= SIM_HONEST_TASKS);

const pct = (x: number, digits = 2) => `${round(x * 100, digits)} %`;

async function main(): Promise<void> {
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'tessera-bench-verify-'));
  chmodSync(work, 0o777);
  const startedAt = new Date();
  const machine = await machineInfo(root);
  const loadAverageAtStart = loadavg();
  process.stdout.write(
    `bench/verification: ${RENDER_CHECKS} render checks (${REGIONS_PER_CHECK} regions each) and ` +
      `${INFERENCE_CHECKS} inference checks (${ROWS_PER_CHECK} of ${ROWS} rows each) per case\n`,
  );

  // 1. Catch rates and false positives with the real comparators.
  const renders = await renderCatches(work, {
    checks: RENDER_CHECKS,
    regionsPerCheck: REGIONS_PER_CHECK,
    regionsPerRun: REGIONS_PER_RUN,
  });
  const rows = await inferenceCatches(work, {
    rows: ROWS,
    checks: INFERENCE_CHECKS,
    rowsPerCheck: ROWS_PER_CHECK,
  });
  const all = [
    ...renders.cheats.map((c) => ({ kind: 'render', ...c })),
    ...rows.cheats.map((c) => ({ kind: 'inference', ...c })),
  ];
  process.stdout.write(
    `\n${table(
      ['kind', 'case', 'checks', 'rejected', 'inconclusive', 'q per check', 'example'],
      [{ kind: 'render', ...renders.honest }, { kind: 'inference', ...rows.honest }, ...all].map((c) => [
        c.kind,
        c.case,
        c.checks,
        c.rejected,
        c.inconclusive,
        round(c.q, 3),
        c.example,
      ]),
    )}\n`,
  );
  const qWorst = Math.min(...all.map((c) => c.q));
  const fractions = [0.01, 0.1, 0.5];
  const horizons = [10, 20, 50, 100, 500, 1000];
  const detection = fractions.map((f) => ({
    cheatFraction: f,
    byTasks: Object.fromEntries(horizons.map((n) => [n, round(detectionWithin(f * qWorst, n), 4)])),
    byTasksWholeTaskCheats: Object.fromEntries(horizons.map((n) => [n, round(detectionWithin(f, n), 4)])),
  }));
  process.stdout.write(
    `\nExact detection (adaptive policy, worst measured q = ${round(qWorst, 3)})\n${table(
      ['cheats on', ...horizons.map((n) => `≤ ${n} tasks`)],
      detection.map((d) => [`${d.cheatFraction * 100} %`, ...horizons.map((n) => d.byTasks[n])]),
    )}\n`,
  );

  // 2. Through the coordinator.
  let sim: SimResult | undefined;
  if (SIM) {
    process.stdout.write(
      `\nScheduler simulation: ${SIM_CHEATERS.map((c) => `${c.count} cheaters at ${c.fraction * 100} %`).join(', ')}, up to ` +
        `${SIM_CHEATER_TASKS} tasks each; ${SIM_HONEST} honest providers, ${SIM_HONEST_TASKS} tasks each\n`,
    );
    sim = await simulate({
      rowsPerShard: ROWS,
      rowsPerCheck: ROWS_PER_CHECK,
      cheaters: SIM_CHEATERS,
      cheaterTasks: SIM_CHEATER_TASKS,
      honest: SIM_HONEST,
      honestTasks: SIM_HONEST_TASKS,
      horizons: SIM_HORIZONS,
      honestHorizons: HONEST_HORIZONS,
      lines: rows.lines,
      providerLines: rows.providerLines,
      // The coordinator keeps its default policy; only a non-default BENCH_ROWS_PER_CHECK is passed on.
      coordinatorEnv:
        ROWS_PER_CHECK === DEFAULT_INFERENCE_OPTIONS.checkRows
          ? {}
          : { TESSERA_CHECK_ROWS: String(ROWS_PER_CHECK) },
    });
    const fmt = fmtP;
    process.stdout.write(
      `\nCaught within n tasks through the coordinator: measured [95 % CI] vs exact (q = ${sim.qCheat} per check)\n${table(
        [
          'cheats on',
          'cheaters',
          ...SIM_HORIZONS.flatMap((n) => [`≤ ${n}: measured`, 'exact']),
          'tasks each',
          'rounds/task',
          'extra compute',
        ],
        sim.cheaters.map((g) => [
          `${g.cheatFraction * 100} %`,
          g.cheaters,
          ...SIM_HORIZONS.flatMap((n) => [fmt(g.byTasks[n].measured), g.byTasks[n].exact]),
          g.tasksPerCheater,
          g.roundsPerTask,
          pct(g.extraCompute, 1),
        ]),
      )}\n` +
        `checked cheated tasks caught: ${fmt(sim.qCheatMeasured.measured)} (exact q ${sim.qCheat})\n` +
        `\nHonest providers: fraction of their tasks checked (${sim.honest.providers} providers)\n${table(
          ['first n tasks', 'measured', 'per provider', 'exact', 'extra compute'],
          HONEST_HORIZONS.map((n) => {
            const b = sim!.honest.byTasks[n];
            return [
              n,
              b.measured,
              b.perProvider.join(' / '),
              b.exact,
              pct(b.measured * (ROWS_PER_CHECK / ROWS), 2),
            ];
          }),
        )}\n` +
        (sim.honest.floor
          ? `at the floor (tasks ${sim.honest.floor.fromTask}–${SIM_HONEST_TASKS}): ${fmt(sim.honest.floor.measured)} ` +
            `checked (policy floor ${sim.honest.floor.exact})\n`
          : `the policy does not reach its floor within ${SIM_HONEST_TASKS} tasks\n`) +
        `honest checks through the coordinator: ${sim.honest.checks}, failed ${sim.honest.failed}, unresolved ${sim.honest.unresolved}; ` +
        `open checks of the same provider at each draw: mean ${sim.pendingChecksAtDraw.mean}, max ${sim.pendingChecksAtDraw.max}\n` +
        `${sim.totals.workTasks} work tasks, ${sim.totals.checkLeases} check leases, ${sim.totals.jobs} batches in ${sim.totals.seconds} s ` +
        `(CPU: coordinator ${cpuSec(sim.cpu.coordinatorMs)}, PostgreSQL ${cpuSec(sim.cpu.postgresMs)}, providers ` +
        `${cpuSec(sim.cpu.providersMs)}, whole machine ${cpuSec(sim.cpu.machineBusyMs)} of ${cpuSec(sim.cpu.wallMs * cpus().length)})\n`,
    );
  }

  // 3. Extra compute for a clean record at the floor.
  const policy = DEFAULT_SAMPLING_POLICY;
  // Work re-executed per check, as a fraction of the task: render re-renders regions of 1/16 of a
  // frame in a chunk (10 frames is typical), inference re-runs rows of a shard (≥ 256 rows typical).
  const framesPerChunk = 10;
  const rowsPerShard = 256;
  const perCheck = {
    render: (REGIONS_PER_CHECK * DEFAULT_RENDER_OPTIONS.checkRegionFraction) / framesPerChunk,
    inference: ROWS_PER_CHECK / rowsPerShard,
  };
  const overheadRender = policy.floorRate * perCheck.render;
  const overheadRows = policy.floorRate * perCheck.inference;
  const overheadCleanRecord = round(Math.max(overheadRender, overheadRows), 5);
  // The same with the checked fraction measured at the floor through the coordinator (upper CI bound too).
  const floorMeasured = sim?.honest.floor?.measured;
  const crossCheck = floorMeasured && {
    checkedFraction: floorMeasured.value,
    ci95: floorMeasured.ci95,
    render: round(floorMeasured.value * perCheck.render, 5),
    inference: round(floorMeasured.value * perCheck.inference, 5),
    upperBound: round(floorMeasured.ci95[1] * Math.max(perCheck.render, perCheck.inference), 5),
  };
  // Wall time instead of work: each check is a container of its own, so it pays a start-up that
  // the regions or rows alone do not show. Tasks sized as the coordinator sizes them.
  const t = renders.timing;
  const renderTask = t.startupSec + DEFAULT_RENDER_OPTIONS.targetChunkSeconds;
  const renderCheck = t.startupSec + REGIONS_PER_CHECK * t.regionSec;
  const i = rows.timing;
  const inferenceTask = i.startupSec + DEFAULT_INFERENCE_OPTIONS.targetShardSeconds;
  const inferenceCheck = i.startupSec + (Math.ceil(ROWS_PER_CHECK / 8) * 8 * i.msPerRow) / 1000;
  const withStartup = {
    render: round((policy.floorRate * renderCheck) / renderTask, 5),
    inference: round((policy.floorRate * inferenceCheck) / inferenceTask, 5),
    renderCheckSec: round(renderCheck, 2),
    renderTaskSec: round(renderTask, 2),
    inferenceCheckSec: round(inferenceCheck, 2),
    inferenceTaskSec: round(inferenceTask, 2),
  };

  const detectionWithin50At10pct = round(detectionWithin(0.1 * qWorst, 50), 4);
  const simulated50At10 = sim?.cheaters.find((g) => g.cheatFraction === 0.1)?.byTasks[50]?.measured;
  const falsePositivesBySource = {
    renderChecks: renders.honest.rejected,
    inferenceChecks: rows.honest.rejected,
    coordinatorHonestProviders: sim?.honest.failed ?? 0,
    coordinatorCheatersHonestTasks: sim?.cheaters.reduce((sum, g) => sum + g.failedHonestTasks, 0) ?? 0,
  };
  const falsePositives = Object.values(falsePositivesBySource).reduce((a, b) => a + b, 0);
  const honestChecks = {
    realComparators: renders.honest.checks + rows.honest.checks,
    throughCoordinator: sim?.honest.checks ?? 0,
  };
  // Every binomial comparison of the simulation with its exact value; with a dozen of them one
  // falls outside its 95 % interval now and then by chance, so the verdict is Bonferroni's.
  const comparisons = sim
    ? [
        ...sim.cheaters.flatMap((g) =>
          Object.entries(g.byTasks).map(([n, c]) => ({
            what: `${g.cheatFraction * 100} % caught ≤ ${n}`,
            ...c,
          })),
        ),
        ...(sim.honest.floor ? [{ what: 'honest checked at the floor', ...sim.honest.floor }] : []),
        { what: 'checked cheated tasks caught', ...sim.qCheatMeasured },
      ]
    : [];
  const consistency = sim && {
    comparisons: comparisons.length,
    outside95Ci: comparisons.filter((c) => !c.withinCi).map((c) => c.what),
    smallestPValue: Math.min(...comparisons.map((c) => c.pValue)),
    bonferroniThreshold: round(0.05 / comparisons.length, 4),
    consistent: comparisons.every((c) => c.pValue >= 0.05 / comparisons.length),
  };
  if (consistency) {
    process.stdout.write(
      `simulation vs exact: ${consistency.outside95Ci.length} of ${consistency.comparisons} comparisons outside their 95 % CI` +
        `${consistency.outside95Ci.length ? ` (${consistency.outside95Ci.join('; ')})` : ''}; smallest p = ` +
        `${consistency.smallestPValue} (Bonferroni threshold ${consistency.bonferroniThreshold}): ` +
        `${consistency.consistent ? 'consistent' : 'INCONSISTENT'}\n`,
    );
  }
  process.stdout.write(
    `\ndetection within 50 tasks of a 10 % cheater: ${detectionWithin50At10pct} exact with q = ${round(qWorst, 3)}` +
      (simulated50At10 ? `, ${fmtP(simulated50At10)} through the coordinator` : '') +
      ` (target > 0.99: ${detectionWithin50At10pct > 0.99 ? 'pass' : 'FAIL'})\n` +
      `extra compute for a clean record: render ${pct(overheadRender, 3)} of the work, inference ${pct(overheadRows, 3)}` +
      (crossCheck
        ? ` (at the measured floor ${round(crossCheck.checkedFraction, 3)}: ${pct(crossCheck.render, 3)} and ${pct(crossCheck.inference, 3)})`
        : '') +
      `; with a container start-up per check: render ${pct(withStartup.render, 2)}, inference ${pct(withStartup.inference, 2)}\n` +
      `false positives: ${falsePositives} in ${honestChecks.realComparators} honest checks with the real comparators` +
      (sim ? ` and ${honestChecks.throughCoordinator} through the coordinator` : '') +
      `\na 10 % cheater at the floor rate is caught within ${tasksToCatch(0.1 * qWorst, policy.floorRate)} tasks with 99 %\n`,
  );

  const finishedAt = new Date();
  const out = resolve(root, env.BENCH_OUT ?? 'bench/results/verification.json');
  writeFileSync(
    out,
    toJson({
      bench: 'verification',
      detectionWithin50At10pct,
      detectionWithin50At10pctSimulated: simulated50At10 ?? null,
      overheadCleanRecord,
      falsePositives,
      target: { detectionWithin50At10pct: 0.99, overheadCleanRecord: 0.1, falsePositives: 0 },
      pass: detectionWithin50At10pct > 0.99 && overheadCleanRecord < 0.1 && falsePositives === 0,
      simulationVsExact: consistency ?? null,
      honestChecks,
      falsePositivesBySource,
      honest: [renders.honest, rows.honest],
      cheats: all,
      qWorst,
      detection,
      simulation: sim
        ? {
            config: {
              cheaters: SIM_CHEATERS,
              cheaterTasks: SIM_CHEATER_TASKS,
              honestProviders: SIM_HONEST,
              honestTasks: SIM_HONEST_TASKS,
              rowsPerShard: ROWS,
              rowsPerCheck: ROWS_PER_CHECK,
              cheat: 'half the rows of the shard blank (every other row)',
            },
            ...sim,
            coordinator: undefined,
          }
        : null,
      overhead: {
        render: overheadRender,
        inference: overheadRows,
        framesPerChunk,
        regionFraction: DEFAULT_RENDER_OPTIONS.checkRegionFraction,
        regionsPerCheck: REGIONS_PER_CHECK,
        rowsPerShard,
        rowsPerCheck: ROWS_PER_CHECK,
        crossCheck: crossCheck ?? null,
        withStartup,
      },
      timing: { render: renders.timing, inference: rows.timing },
      policy,
      config: {
        renderChecks: RENDER_CHECKS,
        inferenceChecks: INFERENCE_CHECKS,
        rows: ROWS,
        regionsPerRun: REGIONS_PER_RUN,
      },
      method:
        'Catch rates: checks drawn by the kinds’ own sampleCheck from fresh random seeds and decided by their own compareCheck ' +
        '(default thresholds), against re-executions made as a check task makes them: render, border renders (render.py --regions) of ' +
        'each check’s regions of a 4-frame chunk of the demo scene at 320×240×16 against the provider’s full frames; inference, each ' +
        'check’s sampled rows of a 64-row PP-OCRv4 shard run as a batch of their own (unused slots zero, as the worker pads a check ' +
        'shard) against the provider’s shard. Every honest reject counts as a false positive. detectionWithin50At10pct is exact ' +
        '(detectionWithin: the adaptive policy, cheated tasks caught with the worst measured per-check catch rate). The simulation ' +
        'runs the compiled coordinator (default TESSERA_CHECK_* policy) on a fresh database with real OCR batches submitted over ' +
        'GraphQL and protocol-level providers that write real OCR rows instead of running the model, commit, prove and re-execute ' +
        'check leases honestly; cheaters cheat on each task with probability f (half the rows blank), caught = first failed check ' +
        '(confirmed by a second verifier), at the position of that task among the cheater’s own; its exact value is ' +
        'detectionWithin(f·q) with q the hypergeometric catch rate of that cheat. Intervals are Wilson 95 %. overheadCleanRecord: ' +
        'policy floor × work re-executed per check (regions of 1/16 of a frame of a 10-frame chunk; rows of a 256-row shard), ' +
        'the larger of the two kinds; overhead.crossCheck puts the checked fraction measured through the coordinator at the floor ' +
        '(honest providers’ tasks after the policy reaches it with ≥ 99 % probability) in place of the floor; overhead.withStartup ' +
        'counts wall time including a container start-up per check, for tasks sized as the coordinator sizes them.',
      machine: { ...machine, loadAverageAtStart, loadAverageAtEnd: loadavg() },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSec: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    }) + '\n',
  );
  process.stdout.write(`wrote ${out} (${round((finishedAt.getTime() - startedAt.getTime()) / 1000, 0)} s)\n`);
  rmSync(work, { recursive: true, force: true });
}

function parseCheaters(spec: string): { fraction: number; count: number }[] {
  const parsed = /^\d+$/.test(spec.trim())
    ? [0.01, 0.1, 0.5].map((fraction) => ({ fraction, count: Number(spec) }))
    : spec.split(',').map((part) => {
        const [f, k] = part.split(':').map(Number);
        return { fraction: f, count: k };
      });
  const bad = parsed.find(
    (c) => !(c.fraction > 0 && c.fraction <= 1 && Number.isInteger(c.count) && c.count > 0),
  );
  if (bad) throw new Error(`BENCH_SIM_CHEATERS=${spec}: expected K or f:K,… (0 < f ≤ 1, K ≥ 1)`);
  return parsed;
}

function cpuSec(ms: number | null): string {
  return ms === null ? '-' : `${round(ms / 1000, 0)} s`;
}

function fmtP(m: { value: number; ci95: [number, number] }): string {
  return `${round(m.value, 3)} [${round(m.ci95[0], 3)}, ${round(m.ci95[1], 3)}]`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench/verification failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
