/**
 * Detection and check overhead measured through the real coordinator.
 *
 * The compiled coordinator runs as its own process on a fresh PostgreSQL database with its default
 * spot-check policy (TESSERA_CHECK_* unset). The bench registers the real OCR model, uploads real
 * text-line images and submits real inference batches over GraphQL (`shardRows` rows a shard),
 * feeding a new batch whenever the queue runs low. Simulated providers (sim-provider.ts) then work
 * through the queue over the provider WebSocket:
 *
 * - K cheaters per cheat fraction f (K may differ per f): each cheats on each of its work tasks independently with
 *   probability f (half the shard's rows blank, the worst cheat bench/verification measured), and
 *   stops after `cheaterTasks` tasks or as soon as a check of its work has failed;
 * - H honest providers: honest on every task, `honestTasks` tasks each and on until every
 *   measured check has ended.
 * Every provider re-executes the check leases it is given honestly, so the coordinator's own
 * sampling (HMAC after the commitment), proof requests, check tasks on other providers,
 * confirmation rounds, records and bans decide everything; the rows are real PP-OCRv4 outputs
 * (written by the provider instead of run), compared with the real `compareRow`.
 *
 * Afterwards the verification table says which work attempts were checked and how each check
 * ended; a cheater is caught at the position (among its own work tasks) of its first failed check.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createAccount, gql, registerOcrModel, TextLine, uploadBlob } from '@tessera/testing';
import {
  checkRate,
  DEFAULT_INFERENCE_OPTIONS,
  DEFAULT_SAMPLING_POLICY,
  detectionWithin,
  SamplingPolicy,
} from '@tessera/workloads';
import { startCoordinator } from '../lib/coordinator-process';
import { CpuMeter } from '../lib/cpu';
import { ADMIN_DATABASE_URL, createDatabase, distRoot } from '../lib/environment';
import { binomialTwoSidedP, round, wilson } from '../lib/stats';
import { Behaviour, delivery, Delivery, SimProvider } from './sim-provider';

export interface SimOptions {
  rowsPerShard: number;
  rowsPerCheck: number;
  /** Cheaters to simulate per cheat fraction. */
  cheaters: { fraction: number; count: number }[];
  cheaterTasks: number;
  honest: number;
  honestTasks: number;
  horizons: number[];
  honestHorizons: number[];
  lines: TextLine[];
  /** Extra coordinator environment (only to follow a bench knob that differs from the default). */
  coordinatorEnv: Record<string, string>;
  /** The real outputs.jsonl line of each text line (line i's OCR result), as the worker wrote it. */
  providerLines: string[];
}

export interface Proportion {
  value: number;
  successes: number;
  n: number;
  ci95: [number, number];
}

/** A measured proportion next to the exact probability, with the two-sided binomial test of one against the other. */
export interface Comparison {
  measured: Proportion;
  exact: number;
  withinCi: boolean;
  pValue: number;
}

/** One cheater's record, for auditing the table: positions (1-based) of its cheated and checked tasks. */
export interface CheaterRecord {
  cheatFraction: number;
  tasks: number;
  cheated: number[];
  checked: number[];
  caughtAt: number | null;
}

export interface CheaterGroup {
  cheatFraction: number;
  cheaters: number;
  /** Cheaters caught (first failed check) within n of their own work tasks, with the exact value. */
  byTasks: Record<number, Comparison>;
  tasksPerCheater: number;
  cheatedTasks: number;
  checkedCheatedTasks: number;
  /** Checked cheated tasks whose check passed (the sample missed every wrong row). */
  escapedChecks: number;
  /** Checks (verifications) per work task, and re-executions (rounds, a confirmation included) per task. */
  checksPerTask: number;
  roundsPerTask: number;
  /** Extra compute: rounds × rows per check ÷ rows per shard. */
  extraCompute: number;
  /** Failed checks of tasks the cheater did honestly (would be false positives). */
  failedHonestTasks: number;
}

export interface HonestResult {
  providers: number;
  tasksEach: number;
  /** Fraction of work tasks checked over the first n tasks: pooled measurement and exact expectation. */
  byTasks: Record<number, { measured: number; perProvider: number[]; exact: number; checks: number }>;
  /** Tasks after which the policy has reached its floor with ≥ 99 % probability (exact), and the checked fraction beyond. */
  floor: ({ fromTask: number } & Comparison) | null;
  checks: number;
  failed: number;
  unresolved: number;
  extraComputeFirst1000: number;
}

export interface SimResult {
  cheaters: CheaterGroup[];
  honest: HonestResult;
  /** Per-check catch rate of the cheat, exactly: 1 − C(S − w, c) / C(S, c). */
  qCheat: number;
  qCheatMeasured: Comparison;
  cheaterRecords: CheaterRecord[];
  /** How many of a provider's earlier checks were still open when a check of its was drawn. */
  pendingChecksAtDraw: { mean: number; max: number };
  totals: {
    workTasks: number;
    checkLeases: number;
    verifications: number;
    unresolved: number;
    jobs: number;
    /** Claims answered `no-work` because the queue had run dry. */
    idleClaims: number;
    /** Time spent in submitInferenceBatch (20,000 rows checked and cut into shards each), summed over submissions (two may overlap). */
    submitSeconds: number;
    seconds: number;
  };
  /**
   * CPU while the providers worked (ms): the coordinator process, its database's backends, the
   * bench (every simulated provider), and the whole machine (other work on it included).
   */
  cpu: {
    wallMs: number;
    coordinatorMs: number | null;
    postgresMs: number | null;
    providersMs: number;
    machineBusyMs: number | null;
    coordinatorMsPerLease: number | null;
  };
  coordinator: { url: string; pid: number };
}

/** 1 − C(n − wrong, k) / C(n, k): a check of k of n rows finds at least one of `wrong`. */
export function hypergeometricCatch(n: number, wrong: number, k: number): number {
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - wrong - i) / (n - i);
  return 1 - Math.max(0, miss);
}

/**
 * Exact expectations for an honest provider under `policy`: after each of `tasks` tasks, the
 * expected number of its tasks checked so far and the probability that its rate is at the floor.
 */
export function honestExpectations(
  tasks: number,
  policy: SamplingPolicy = DEFAULT_SAMPLING_POLICY,
): { expectedChecks: number[]; atFloor: number[] } {
  let states = new Map<number, number>([[0, 1]]);
  const rate = (s: number) => checkRate({ cleanStreak: s, passed: s, failed: 0 }, policy);
  const expectedChecks: number[] = [];
  const atFloor: number[] = [];
  let expected = 0;
  for (let i = 0; i < tasks; i++) {
    let floor = 0;
    const next = new Map<number, number>();
    for (const [s, p] of states) {
      const r = rate(s);
      if (r <= policy.floorRate) floor += p;
      expected += p * r;
      // Past the floor the streak no longer matters: keep one state there.
      const up = r <= policy.floorRate ? s : s + 1;
      next.set(up, (next.get(up) ?? 0) + p * r);
      next.set(s, (next.get(s) ?? 0) + p * (1 - r));
    }
    states = next;
    atFloor.push(floor);
    expectedChecks.push(expected);
  }
  return { expectedChecks, atFloor };
}

function proportion(successes: number, n: number): Proportion {
  const ci = wilson(successes, n);
  return { value: n ? successes / n : 0, successes, n, ci95: [round(ci.low, 4), round(ci.high, 4)] };
}

function compare(successes: number, n: number, exact: number): Comparison {
  const measured = proportion(successes, n);
  return {
    measured,
    exact: round(exact, 4),
    withinCi: exact >= measured.ci95[0] && exact <= measured.ci95[1],
    pValue: round(binomialTwoSidedP(successes, n, exact), 4),
  };
}

/** Uniform in [0, 1) from the system's CSPRNG (each cheat decision independent of everything else). */
function uniform(): number {
  return randomBytes(4).readUInt32BE(0) / 2 ** 32;
}

export async function simulate(opts: SimOptions): Promise<SimResult> {
  const started = Date.now();
  const database = await createDatabase('tessera_bench_verify');
  const coordinator = await startCoordinator({
    distRoot: distRoot(),
    databaseUrl: database.url,
    poolSize: 10,
    env: { TESSERA_LOG_LEVEL: 'warn', ...opts.coordinatorEnv },
  });
  const db = new Client({ connectionString: database.url });
  await db.connect();
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  const meter = new CpuMeter(admin, { coordinator: coordinator.pid }, { postgres: database.name });
  const providers: SimProvider[] = [];
  let monitor: NodeJS.Timeout | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (monitor) clearInterval(monitor);
    for (const p of providers) p.close();
    await db.end();
    await admin.end();
    await coordinator.stop();
    await database.drop();
  };
  // Ctrl-C: stop the coordinator and drop the database rather than leave them behind.
  const interrupted = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    // The customer's side: images, the model, one rows file every batch reuses.
    const { apiKey } = await createAccount(coordinator.url, 'bench-verification');
    for (const l of opts.lines) await uploadBlob(coordinator.url, l.png, apiKey, l.sha256);
    const modelId = await registerOcrModel(coordinator.url, apiKey);
    const S = opts.rowsPerShard;
    const L = opts.lines.length;
    const batchRows = Math.floor(DEFAULT_INFERENCE_OPTIONS.maxRows / S) * S;
    const rows = Buffer.from(
      Array.from({ length: batchRows }, (_, r) =>
        JSON.stringify({ id: r, image: opts.lines[r % L].sha256 }),
      ).join('\n') + '\n',
    );
    const rowsSha = createHash('sha256').update(rows).digest('hex');
    await uploadBlob(coordinator.url, rows, apiKey, rowsSha);
    let jobs = 0;
    let submitMs = 0;
    let submitting = 0;
    const shardsPerBatch = batchRows / S;
    const submit = async () => {
      const t0 = Date.now();
      await gql(
        coordinator.url,
        `mutation($input: SubmitInferenceBatchInput!) { submitInferenceBatch(input: $input) { id } }`,
        { input: { model: modelId, rows: rowsSha, shardRows: S } },
        apiKey,
      );
      jobs++;
      submitMs += Date.now() - t0;
    };

    // What providers write. Row r of a batch is text line r mod L; its honest output is that
    // line's real OCR result, numbered r.
    const outputs = opts.providerLines.map((l) => (JSON.parse(l) as { outputs: unknown }).outputs);
    const honestLine = (r: number, row = r) => JSON.stringify({ row, id: r, outputs: outputs[r % L] });
    const cache = (make: (firstRow: number, rows: number) => string[]) => {
      const byFirst = new Map<number, Delivery>();
      return (firstRow: number, n: number) => {
        let d = byFirst.get(firstRow);
        if (!d) byFirst.set(firstRow, (d = delivery(make(firstRow, n))));
        return d;
      };
    };
    const honestShard = cache((first, n) => Array.from({ length: n }, (_, i) => honestLine(first + i)));
    const cheatShard = cache((first, n) =>
      Array.from({ length: n }, (_, i) =>
        i % 2
          ? JSON.stringify({ row: first + i, id: first + i, outputs: { text: '', confidence: 0 } })
          : honestLine(first + i),
      ),
    );
    const checkShard = (batchRows: number[]) => delivery(batchRows.map((r, j) => honestLine(r, j)));
    const honestly: Behaviour = (first, n) => ({ delivery: honestShard(first, n), cheated: false });
    const cheating =
      (f: number): Behaviour =>
      (first, n) =>
        uniform() < f
          ? { delivery: cheatShard(first, n), cheated: true }
          : { delivery: honestShard(first, n), cheated: false };

    await Promise.all([submit(), submit()]);
    const honest: SimProvider[] = [];
    const cheaters = new Map<number, SimProvider[]>();
    for (let i = 0; i < opts.honest; i++) {
      honest.push(await SimProvider.connect(coordinator.url, `honest-${i + 1}`, honestly, checkShard));
    }
    for (const { fraction: f, count } of opts.cheaters) {
      const group: SimProvider[] = [];
      for (let i = 0; i < count; i++) {
        group.push(
          await SimProvider.connect(coordinator.url, `cheat-${f}-${i + 1}`, cheating(f), checkShard),
        );
      }
      cheaters.set(f, group);
    }
    providers.push(...honest, ...[...cheaters.values()].flat());
    const byId = new Map(providers.map((p) => [p.providerId, p]));
    const allCheaters = [...cheaters.values()].flat();

    // The monitor: stops caught cheaters, keeps work queued, and ends the run once every measured
    // check has ended.
    let monitorError: Error | undefined;
    let cheatersRunning = allCheaters.length;
    let settled = false;
    let busy = false;
    let lastReport = Date.now();
    const measured = () => {
      const ids = new Set<string>();
      for (const c of allCheaters) for (const w of c.work) ids.add(w.attemptId);
      for (const h of honest) for (const w of h.work.slice(0, opts.honestTasks)) ids.add(w.attemptId);
      return ids;
    };
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const failed = await db.query<{ id: string }>(`SELECT id FROM provider WHERE checks_failed > 0`);
        for (const { id } of failed.rows) {
          const p = byId.get(id);
          if (p && allCheaters.includes(p)) p.stopped = true;
        }
        const [{ n }] = (
          await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM task WHERE state = 'QUEUED' AND role = 'work'`,
          )
        ).rows;
        // A batch takes seconds to check and cut into shards (a blob and a task row each), so up to two
        // are submitted at once, in the background, to keep two batches' worth of work queued.
        if (
          n + submitting * shardsPerBatch < Math.max(2 * shardsPerBatch, providers.length) &&
          submitting < 2
        ) {
          submitting++;
          void submit()
            .catch((e: Error) => (monitorError ??= e))
            .finally(() => submitting--);
        }
        if (cheatersRunning === 0 && honest.every((h) => h.work.length >= opts.honestTasks)) {
          const open = await db.query<{ attempt_id: string }>(
            `SELECT attempt_id FROM verification WHERE state IN ('PROVING', 'CHECKING')`,
          );
          const ids = measured();
          settled = !open.rows.some((r) => ids.has(r.attempt_id));
        }
        if (Date.now() - lastReport > 15_000) {
          lastReport = Date.now();
          const work = providers.reduce((sum, p) => sum + p.work.length, 0);
          const checks = providers.reduce((sum, p) => sum + p.checks, 0);
          process.stdout.write(
            `  simulation: ${Math.round((Date.now() - started) / 1000)} s, ${work} work tasks, ${checks} check leases, ` +
              `${cheatersRunning} cheaters working, honest at ${honest.map((h) => h.work.length).join('/')}\n`,
          );
        }
      } finally {
        busy = false;
      }
    };
    monitor = setInterval(() => void tick().catch((e: Error) => (monitorError ??= e)), 250);

    const { cpu } = await meter.measure(() =>
      Promise.all([
        ...honest.map((h) => h.run(() => !settled && !monitorError)),
        ...allCheaters.map((c) =>
          c
            .run(() => c.work.length < opts.cheaterTasks && !monitorError)
            .finally(() => {
              cheatersRunning--;
            }),
        ),
      ]),
    );
    clearInterval(monitor);
    if (monitorError) throw monitorError;
    const seconds = (Date.now() - started) / 1000;

    // What the coordinator decided.
    const verifications = (
      await db.query<{
        attempt_id: string;
        provider_id: string;
        state: string;
        rounds: number;
        created_at: Date;
        finished_at: Date | null;
      }>(
        `SELECT attempt_id, provider_id, state, jsonb_array_length(rounds)::int AS rounds, created_at, finished_at
           FROM verification ORDER BY created_at`,
      )
    ).rows;
    const byAttempt = new Map(verifications.map((v) => [v.attempt_id, v]));
    const qCheat = hypergeometricCatch(S, Math.floor(S / 2), opts.rowsPerCheck);

    let checkedCheated = 0;
    let caughtCheated = 0;
    const cheaterRecords: CheaterRecord[] = [];
    const groups: CheaterGroup[] = opts.cheaters.map(({ fraction: f }) => {
      const group = cheaters.get(f) as SimProvider[];
      const caughtAt = group.map((c) => {
        const failed = c.work.filter((w) => byAttempt.get(w.attemptId)?.state === 'FAILED');
        return failed.length ? Math.min(...failed.map((w) => w.index)) : Infinity;
      });
      for (const [i, c] of group.entries()) {
        if (caughtAt[i] === Infinity && c.work.length < opts.cheaterTasks)
          throw new Error(`${c.name} stopped after ${c.work.length} tasks without being caught`);
        cheaterRecords.push({
          cheatFraction: f,
          tasks: c.work.length,
          cheated: c.work.filter((w) => w.cheated).map((w) => w.index),
          checked: c.work.filter((w) => byAttempt.has(w.attemptId)).map((w) => w.index),
          caughtAt: caughtAt[i] === Infinity ? null : caughtAt[i],
        });
      }
      const work = group.flatMap((c) => c.work);
      const cheated = work.filter((w) => w.cheated);
      const checked = cheated.filter((w) => byAttempt.has(w.attemptId));
      const escaped = checked.filter((w) => byAttempt.get(w.attemptId)?.state === 'PASSED').length;
      checkedCheated += checked.filter((w) =>
        ['PASSED', 'FAILED'].includes(byAttempt.get(w.attemptId)?.state ?? ''),
      ).length;
      caughtCheated += checked.filter((w) => byAttempt.get(w.attemptId)?.state === 'FAILED').length;
      const rounds = work.reduce((sum, w) => sum + (byAttempt.get(w.attemptId)?.rounds ?? 0), 0);
      const checks = work.filter((w) => byAttempt.has(w.attemptId)).length;
      return {
        cheatFraction: f,
        cheaters: group.length,
        byTasks: Object.fromEntries(
          opts.horizons.map((n) => [
            n,
            compare(caughtAt.filter((a) => a <= n).length, group.length, detectionWithin(f * qCheat, n)),
          ]),
        ),
        tasksPerCheater: round(work.length / group.length, 1),
        cheatedTasks: cheated.length,
        checkedCheatedTasks: checked.length,
        escapedChecks: escaped,
        checksPerTask: round(checks / work.length, 3),
        roundsPerTask: round(rounds / work.length, 3),
        extraCompute: round((rounds / work.length) * (opts.rowsPerCheck / S), 4),
        failedHonestTasks: work.filter((w) => !w.cheated && byAttempt.get(w.attemptId)?.state === 'FAILED')
          .length,
      };
    });

    const exact = honestExpectations(opts.honestTasks);
    const checkedWithin = (h: SimProvider, n: number) =>
      h.work.slice(0, n).filter((w) => byAttempt.has(w.attemptId)).length;
    // -1: the policy does not reach its floor within honestTasks (a short run).
    const floorFrom = exact.atFloor.findIndex((p) => p >= 0.99);
    const floorTasks = floorFrom < 0 ? [] : honest.flatMap((h) => h.work.slice(floorFrom, opts.honestTasks));
    const floorChecked = floorTasks.filter((w) => byAttempt.has(w.attemptId)).length;

    const policy = DEFAULT_SAMPLING_POLICY;
    const honestVerifications = honest.flatMap((h) =>
      h.work
        .slice(0, opts.honestTasks)
        .map((w) => byAttempt.get(w.attemptId))
        .filter((v) => v !== undefined),
    );
    const honestChecks = honestVerifications.length;
    const honestRounds = honestVerifications.reduce((sum, v) => sum + v.rounds, 0);

    // Open checks of the same provider at each draw: the record the coordinator sampled with lagged
    // behind the provider's work by this many checks (the exact computation assumes none).
    const pending: number[] = [];
    const byProvider = new Map<string, typeof verifications>();
    for (const v of verifications) {
      const list = byProvider.get(v.provider_id) ?? [];
      list.push(v);
      byProvider.set(v.provider_id, list);
    }
    for (const list of byProvider.values()) {
      list.forEach((v, i) => {
        pending.push(
          list.slice(0, i).filter((u) => !u.finished_at || u.finished_at.getTime() > v.created_at.getTime())
            .length,
        );
      });
    }

    return {
      cheaters: groups,
      honest: {
        providers: honest.length,
        tasksEach: opts.honestTasks,
        byTasks: Object.fromEntries(
          opts.honestHorizons
            .filter((n) => n <= opts.honestTasks)
            .map((n) => {
              const per = honest.map((h) => checkedWithin(h, n));
              const checks = per.reduce((a, b) => a + b, 0);
              return [
                n,
                {
                  measured: round(checks / (n * honest.length), 4),
                  perProvider: per.map((c) => round(c / n, 4)),
                  exact: round(exact.expectedChecks[n - 1] / n, 4),
                  checks,
                },
              ];
            }),
        ),
        // At the floor every task is an independent draw at the floor rate: a binomial count.
        floor:
          floorFrom < 0
            ? null
            : { fromTask: floorFrom + 1, ...compare(floorChecked, floorTasks.length, policy.floorRate) },
        checks: honestChecks,
        failed: honestVerifications.filter((v) => v.state === 'FAILED').length,
        unresolved: honestVerifications.filter((v) => v.state === 'UNRESOLVED').length,
        extraComputeFirst1000: round(
          (honestRounds / (honest.length * opts.honestTasks)) * (opts.rowsPerCheck / S),
          4,
        ),
      },
      qCheat: round(qCheat, 5),
      qCheatMeasured: compare(caughtCheated, checkedCheated, qCheat),
      cheaterRecords,
      pendingChecksAtDraw: {
        mean: round(pending.reduce((a, b) => a + b, 0) / Math.max(1, pending.length), 3),
        max: Math.max(0, ...pending),
      },
      totals: {
        workTasks: providers.reduce((sum, p) => sum + p.work.length, 0),
        checkLeases: providers.reduce((sum, p) => sum + p.checks, 0),
        verifications: verifications.length,
        unresolved: verifications.filter((v) => v.state === 'UNRESOLVED').length,
        jobs,
        idleClaims: providers.reduce((sum, p) => sum + p.idleClaims, 0),
        submitSeconds: round(submitMs / 1000, 1),
        seconds: round(seconds, 1),
      },
      cpu: {
        wallMs: Math.round(cpu.wallMs),
        coordinatorMs: cpu.groups.coordinator,
        postgresMs: cpu.groups.postgres,
        providersMs: Math.round(cpu.clientMs),
        machineBusyMs: cpu.machineBusyMs,
        coordinatorMsPerLease:
          cpu.groups.coordinator === null
            ? null
            : round(
                cpu.groups.coordinator / providers.reduce((sum, p) => sum + p.work.length + p.checks, 0),
                2,
              ),
      },
      coordinator: { url: coordinator.url, pid: coordinator.pid },
    };
  } catch (error) {
    process.stderr.write(`the coordinator's last output:\n${coordinator.output()}\n`);
    throw error;
  } finally {
    process.removeListener('SIGINT', interrupted);
    await cleanup();
  }
}
