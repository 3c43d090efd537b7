/**
 * bench/dispatch: how many tasks per second go through the coordinator's real lease path (claim →
 * lease → task.completed over the provider WebSocket, by simulated agents, no containers), against
 * pg-boss fetch/complete on the same PostgreSQL in the same run; and submit-to-lease latency on an
 * idle fleet (DESIGN §9).
 *
 *   npm run build && npm run bench:dispatch
 *
 * Writes bench/results/dispatch.json; its top-level `ratio` is Tessera ÷ pg-boss at 4 workers.
 * bench/README.md describes the method, the knobs (BENCH_* environment variables) and the output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { createAccount, gql, TestAgent } from '@tessera/testing';
import type { CoordinatorMessage, Lease } from '@tessera/protocol';
import { startCoordinator, CoordinatorProcess } from '../lib/coordinator-process';
import { CpuMeter, CpuUsage } from '../lib/cpu';
import { ADMIN_DATABASE_URL, createDatabase, distRoot, machineInfo, repoRoot } from '../lib/environment';
import { median, percentile, round, table } from '../lib/stats';

const env = process.env;
function intEnv(name: string, fallback: number): number {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name}=${raw}: expected a non-negative integer`);
  return v;
}

const TASKS = Math.max(1, intEnv('BENCH_TASKS', 2000));
const REPS = Math.max(1, intEnv('BENCH_REPS', 3));
const WORKERS = (env.BENCH_WORKERS ?? '1,4,8,16').split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_WORKERS: ${s} is not a positive integer`);
  return n;
});
const HEADLINE_WORKERS = WORKERS.includes(4) ? 4 : WORKERS[0];
/** Authenticated agent sockets the workers share (0: exactly one socket per worker). */
const AGENT_SOCKETS = intEnv('BENCH_AGENT_SOCKETS', 48);
const POOL_SIZE = Math.max(1, intEnv('DATABASE_POOL_SIZE', 10));
const DEEP_QUEUE = intEnv('BENCH_DEEP_QUEUE', 10_000);
const DEEP_TASKS = Math.max(1, intEnv('BENCH_DEEP_TASKS', 1000));
const LATENCY_JOBS = intEnv('BENCH_LATENCY_JOBS', 50);
const LATENCY_AGENTS = Math.max(1, intEnv('BENCH_LATENCY_AGENTS', 4));
const WARMUP_TASKS = Math.min(500, TASKS);
const QUEUE = 'bench_dispatch';
const DEEP_QUEUE_NAME = 'bench_dispatch_deep';
/** The per-socket protocol limit (provider-session.ts): 200 messages/s sustained, burst 400. */
const SOCKET_MSGS_PER_SEC = 200;
const LATENCY_TARGET_MS = 100;

const log = (line = '') => process.stdout.write(`${line}\n`);
const now = () => performance.now();

interface Sample {
  tasks: number;
  seconds: number;
  perSec: number;
  /** CPU ms per task while the workers ran, by party (null where /proc is not readable). */
  cpuMsPerTask: Record<string, number | null>;
  /** The machine's 1-minute load average as the measurement ended: other work on the box shows here. */
  load1: number;
}

type Measure = <T>(work: () => Promise<T>) => Promise<{ result: T; cpu: CpuUsage }>;

function sample(tasks: number, seconds: number, cpu: CpuUsage, parties: Record<string, string>): Sample {
  const cpuMsPerTask: Record<string, number | null> = {};
  for (const [label, source] of Object.entries(parties)) {
    const ms =
      source === 'client' ? cpu.clientMs : source === 'machine' ? cpu.machineBusyMs : cpu.groups[source];
    cpuMsPerTask[label] = ms === null || ms === undefined ? null : round(ms / tasks, 3);
  }
  return {
    tasks,
    seconds: round(seconds, 3),
    perSec: round(tasks / seconds),
    cpuMsPerTask,
    load1: round(loadavg()[0], 2),
  };
}

/** `workers` loops share a counter and each runs `step` until `total` steps were started. */
async function loops(
  workers: number,
  total: number,
  step: (worker: number) => Promise<void>,
): Promise<number> {
  let issued = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (issued < total) {
        issued++;
        await step(w);
      }
    }),
  );
  return (now() - started) / 1000;
}

function describe(message: CoordinatorMessage): string {
  return JSON.stringify(message).slice(0, 300);
}

// Tessera --------------------------------------------------------------------------------------------

const TESSERA_PARTIES = {
  coordinator: 'coordinator',
  postgres: 'tesseraDb',
  simulatedAgents: 'client',
  wholeMachine: 'machine',
};

class Tessera {
  apiKey = '';
  agents: TestAgent[] = [];
  private db!: Client;

  constructor(
    readonly coordinator: CoordinatorProcess,
    private readonly databaseUrl: string,
  ) {}

  async setUp(sockets: number): Promise<void> {
    this.apiKey = (await createAccount(this.coordinator.url, 'bench')).apiKey;
    for (let i = 0; i < sockets; i += 16) {
      const batch = Array.from({ length: Math.min(16, sockets - i) }, (_, j) =>
        TestAgent.connect(this.coordinator.url, { name: `bench-agent-${i + j}` }),
      );
      this.agents.push(...(await Promise.all(batch)));
    }
    this.db = new Client({ connectionString: this.databaseUrl });
    await this.db.connect();
  }

  async submit(tasks: number): Promise<string> {
    const data = await gql<{ submitContainerJob: { id: string } }>(
      this.coordinator.url,
      `mutation($tasks: Int!) {
         submitContainerJob(input: { image: "tessera/toolbox:1", command: ["true"], tasks: $tasks }) { id }
       }`,
      { tasks },
      this.apiKey,
    );
    return data.submitContainerJob.id;
  }

  async cancel(jobId: string): Promise<void> {
    await gql(
      this.coordinator.url,
      `mutation($id: ID!) { cancelJob(id: $id) { id } }`,
      { id: jobId },
      this.apiKey,
    );
  }

  /** How many sockets `workers` workers share: enough that none passes the per-socket rate limit. */
  socketsFor(workers: number): number {
    return Math.max(workers, Math.min(this.agents.length, AGENT_SOCKETS || workers));
  }

  /**
   * `workers` loops, each with one request in flight at a time, claim and complete `tasks` queued
   * tasks. Worker w sends through sockets w, w+workers, w+2·workers, … in turn, so no socket passes
   * the protocol's per-socket rate limit while the concurrency stays `workers`.
   */
  private async work(workers: number, tasks: number, measure: Measure): Promise<Sample> {
    const sockets = this.agents.slice(0, this.socketsFor(workers));
    const lanes = Array.from({ length: workers }, (_, w) => sockets.filter((_, i) => i % workers === w));
    const turns = new Array<number>(workers).fill(0);
    // A frame over the per-socket rate limit is refused with an error that names no request (`re`), so
    // the request would wait out its timeout: watch for the refusal and stop at once instead.
    let rateLimited!: (error: Error) => void;
    const refused = new Promise<never>((_, reject) => (rateLimited = reject));
    refused.catch(() => undefined);
    const watch = (data: Buffer) => {
      if (data.length < 400 && data.includes('"RATE_LIMITED"')) {
        rateLimited(
          new Error(
            `an agent socket was refused for passing ${SOCKET_MSGS_PER_SEC} messages/s: give the workers ` +
              'more sockets (BENCH_AGENT_SOCKETS)',
          ),
        );
      }
    };
    for (const agent of sockets) agent.socket.on('message', watch);
    const { result: seconds, cpu } = await measure(() =>
      Promise.race([
        refused,
        loops(workers, tasks, async (w) => {
          const agent = lanes[w][turns[w]++ % lanes[w].length];
          const reply = await agent.request({ type: 'claim' });
          if (reply.type !== 'lease') throw new Error(`claim answered ${describe(reply)}`);
          const at = new Date().toISOString();
          const ack = await agent.request({
            type: 'task.completed',
            attemptId: reply.lease.attemptId,
            outputs: [],
            startedAt: at,
            finishedAt: at,
          });
          if (ack.type !== 'ok') throw new Error(`task.completed answered ${describe(ack)}`);
        }),
      ]),
    ).finally(() => {
      for (const agent of sockets) agent.socket.off('message', watch);
    });
    for (const agent of this.agents) agent.received.length = 0;
    return sample(tasks, seconds, cpu, TESSERA_PARTIES);
  }

  /** Submits a job of `tasks` tasks (not timed), then claims and completes all of it (timed). */
  async run(workers: number, tasks: number, measure: Measure): Promise<Sample> {
    const jobId = await this.submit(tasks);
    const result = await this.work(workers, tasks, measure);
    const { rows } = await this.db.query<{ state: string; tasks_done: number }>(
      'SELECT state, tasks_done FROM job WHERE id = $1',
      [jobId],
    );
    if (rows[0]?.state !== 'COMPLETED' || rows[0]?.tasks_done !== tasks) {
      throw new Error(`job ${jobId} is not complete after the run: ${JSON.stringify(rows[0])}`);
    }
    return result;
  }

  /** Claims and completes `tasks` at a time from one job of `depth` tasks, `reps` times; then cancels it. */
  async runDeep(
    workers: number,
    depth: number,
    tasks: number,
    reps: number,
    measure: Measure,
  ): Promise<Sample[]> {
    const jobId = await this.submit(depth);
    const samples: Sample[] = [];
    try {
      for (let rep = 1; rep <= reps; rep++) {
        samples.push(await this.work(workers, tasks, measure));
        const { rows } = await this.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM task WHERE job_id = $1 AND state = 'ACCEPTED'`,
          [jobId],
        );
        if (rows[0].n !== rep * tasks) throw new Error(`deep job ${jobId}: ${rows[0].n} tasks accepted`);
      }
    } finally {
      await this.cancel(jobId);
    }
    return samples;
  }

  async close(): Promise<void> {
    for (const agent of this.agents) agent.close();
    await this.db?.end();
  }
}

// pg-boss --------------------------------------------------------------------------------------------

const BOSS_PARTIES = { pgBossClient: 'client', postgres: 'bossDb', wholeMachine: 'machine' };

class Boss {
  boss!: PgBoss;
  private db!: Client;

  constructor(private readonly databaseUrl: string) {}

  async setUp(): Promise<void> {
    // No supervision (maintenance), no cron, no state monitoring: only fetch and complete run.
    this.boss = new PgBoss({
      connectionString: this.databaseUrl,
      max: POOL_SIZE,
      supervise: false,
      schedule: false,
    });
    this.boss.on('error', (error) => log(`pg-boss error: ${String(error)}`));
    await this.boss.start();
    await this.boss.createQueue(QUEUE);
    this.db = new Client({ connectionString: this.databaseUrl });
    await this.db.connect();
  }

  private async insert(queue: string, jobs: number): Promise<void> {
    for (let i = 0; i < jobs; i += 5000) {
      const n = Math.min(5000, jobs - i);
      await this.boss.insert(Array.from({ length: n }, (_, j) => ({ name: queue, data: { i: i + j } })));
    }
  }

  private async work(queue: string, workers: number, tasks: number, measure: Measure): Promise<Sample> {
    let done = 0;
    const { result: seconds, cpu } = await measure(() =>
      loops(workers, tasks, async () => {
        for (;;) {
          const [job] = await this.boss.fetch<{ i: number }>(queue);
          // fetch() swallows its errors and returns nothing; the job is still queued, so try again.
          if (!job) continue;
          await this.boss.complete(queue, job.id);
          done++;
          return;
        }
      }),
    );
    if (done !== tasks) throw new Error(`pg-boss completed ${done} of ${tasks}`);
    return sample(tasks, seconds, cpu, BOSS_PARTIES);
  }

  async run(workers: number, tasks: number, measure: Measure): Promise<Sample> {
    await this.insert(QUEUE, tasks);
    const result = await this.work(QUEUE, workers, tasks, measure);
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state < 'active'`,
      [QUEUE],
    );
    if (rows[0].n !== 0) throw new Error(`pg-boss: ${rows[0].n} jobs still queued after the run`);
    return result;
  }

  async runDeep(
    workers: number,
    depth: number,
    tasks: number,
    reps: number,
    measure: Measure,
  ): Promise<Sample[]> {
    await this.boss.createQueue(DEEP_QUEUE_NAME);
    await this.insert(DEEP_QUEUE_NAME, depth);
    const samples: Sample[] = [];
    try {
      for (let rep = 0; rep < reps; rep++)
        samples.push(await this.work(DEEP_QUEUE_NAME, workers, tasks, measure));
    } finally {
      // Drop what is left queued (deleteQueue() of pg-boss 10.4.2 fails on a queue that holds jobs).
      await this.boss.purgeQueue(DEEP_QUEUE_NAME);
    }
    return samples;
  }

  async close(): Promise<void> {
    await this.db?.end();
    await this.boss?.stop({ graceful: false, wait: true });
  }
}

// Submit-to-lease latency ---------------------------------------------------------------------------

interface LatencyRaw {
  /** From the submitContainerJob response arriving to the lease arriving at an agent (< 0: lease first). */
  fromResponseMs: number[];
  /** From the submitContainerJob request being sent to the lease arriving: an upper bound. */
  fromRequestMs: number[];
  /** The mutation's own round trip. */
  mutationMs: number[];
}

/**
 * An idle fleet: every agent has a claim waiting (the coordinator's long poll). Submit one
 * single-task job at a time and time when its lease reaches an agent, which completes it and
 * claims again.
 */
async function measureLatency(tessera: Tessera, agents: TestAgent[], jobs: number): Promise<LatencyRaw> {
  const leasedAt = new Map<string, number>();
  const leaseWaiters = new Map<string, (at: number) => void>();
  const waitingSince = new Map<TestAgent, number>();
  let stopped = false;
  const failures: Error[] = [];

  const agentLoops = agents.map(async (agent) => {
    while (!stopped) {
      waitingSince.set(agent, now());
      let reply: CoordinatorMessage;
      try {
        reply = await agent.request({ type: 'claim' }, 60_000);
      } catch (error) {
        if (!stopped) failures.push(error as Error);
        return;
      }
      const at = now();
      waitingSince.delete(agent);
      if (reply.type === 'no-work') continue;
      if (reply.type !== 'lease') {
        failures.push(new Error(`claim answered ${describe(reply)}`));
        return;
      }
      const lease: Lease = reply.lease;
      leasedAt.set(lease.jobId, at);
      leaseWaiters.get(lease.jobId)?.(at);
      const iso = new Date().toISOString();
      const ack = await agent.request({
        type: 'task.completed',
        attemptId: lease.attemptId,
        outputs: [],
        startedAt: iso,
        finishedAt: iso,
      });
      if (ack.type !== 'ok') failures.push(new Error(`task.completed answered ${describe(ack)}`));
    }
  });

  /** Every agent has a claim in flight, the newest sent at least 50 ms ago (so it is waiting). */
  const idle = async () => {
    const deadline = now() + 10_000;
    for (;;) {
      if (failures.length) throw failures[0];
      const since = [...waitingSince.values()];
      if (since.length === agents.length && now() - Math.max(...since) >= 50) return;
      if (now() > deadline) throw new Error('the latency fleet did not go idle within 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  const raw: LatencyRaw = { fromResponseMs: [], fromRequestMs: [], mutationMs: [] };
  for (let i = 0; i < jobs; i++) {
    await idle();
    const sent = now();
    const jobId = await tessera.submit(1);
    const answered = now();
    const at =
      leasedAt.get(jobId) ??
      (await new Promise<number>((resolveLease, reject) => {
        const timer = setTimeout(() => reject(new Error(`no lease for job ${jobId} within 10 s`)), 10_000);
        leaseWaiters.set(jobId, (t) => {
          clearTimeout(timer);
          resolveLease(t);
        });
      }));
    leaseWaiters.delete(jobId);
    raw.fromResponseMs.push(at - answered);
    raw.fromRequestMs.push(at - sent);
    raw.mutationMs.push(answered - sent);
  }
  await idle();
  stopped = true;
  // The claims still waiting end when the sockets close at teardown.
  void Promise.allSettled(agentLoops);
  return raw;
}

// Reporting -----------------------------------------------------------------------------------------

interface Side {
  medianPerSec: number;
  medianCpuMsPerTask: Record<string, number | null>;
  samples: Sample[];
}

function side(samples: Sample[]): Side {
  const medianCpuMsPerTask: Record<string, number | null> = {};
  for (const key of Object.keys(samples[0].cpuMsPerTask)) {
    const values = samples.map((s) => s.cpuMsPerTask[key]).filter((v): v is number => v !== null);
    medianCpuMsPerTask[key] = values.length ? round(median(values), 3) : null;
  }
  return { medianPerSec: round(median(samples.map((s) => s.perSec))), medianCpuMsPerTask, samples };
}

function summary(values: number[]): { p50: number; p95: number; min: number; max: number } {
  return {
    p50: round(percentile(values, 50), 1),
    p95: round(percentile(values, 95), 1),
    min: round(Math.min(...values), 1),
    max: round(Math.max(...values), 1),
  };
}

const fmtMs = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(2));

// Main -------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = repoRoot();
  const out = resolve(root, env.BENCH_OUT ?? 'bench/results/dispatch.json');
  const startedAt = new Date();
  const loadAtStart = loadavg().map((v) => round(v, 2));
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      await fn().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    }
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  try {
    const machine = await machineInfo(root);
    log(
      `bench/dispatch: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ` +
        `${machine.postgres.split(' on ')[0]}, pg-boss ${machine.pgBoss}, load ${loadavg()[0].toFixed(2)}`,
    );
    log(
      `${TASKS} tasks per measurement, median of ${REPS}, workers ${WORKERS.join('/')}, DB pool ${POOL_SIZE} ` +
        `for both; ${AGENT_SOCKETS ? `Tessera workers share ${AGENT_SOCKETS} agent sockets` : 'one agent socket per worker'}`,
    );

    const tesseraDb = await createDatabase('tessera_bench');
    cleanups.push(tesseraDb.drop);
    const bossDb = await createDatabase('pgboss_bench');
    cleanups.push(bossDb.drop);

    const coordinator = await startCoordinator({
      distRoot: distRoot(),
      databaseUrl: tesseraDb.url,
      poolSize: POOL_SIZE,
    });
    cleanups.push(coordinator.stop);
    log(`coordinator pid ${coordinator.pid} at ${coordinator.url} from ${distRoot()}`);

    const tessera = new Tessera(coordinator, tesseraDb.url);
    const sockets = Math.max(AGENT_SOCKETS, ...WORKERS, LATENCY_AGENTS);
    await tessera.setUp(sockets);
    cleanups.push(() => tessera.close());

    const boss = new Boss(bossDb.url);
    await boss.setUp();
    cleanups.push(() => boss.close());

    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    cleanups.push(() => admin.end());
    const meter = new CpuMeter(
      admin,
      { coordinator: coordinator.pid },
      { tesseraDb: tesseraDb.name, bossDb: bossDb.name },
    );
    const measure: Measure = (work) => meter.measure(work);

    // Warm-up: JIT, connection pools, plan caches, for both.
    log(`warm-up: ${WARMUP_TASKS} tasks each at ${HEADLINE_WORKERS} workers`);
    await tessera.run(HEADLINE_WORKERS, WARMUP_TASKS, measure);
    await boss.run(HEADLINE_WORKERS, WARMUP_TASKS, measure);

    const results: { workers: number; agentSockets: number; tessera: Side; pgBoss: Side; ratio: number }[] =
      [];
    for (const workers of WORKERS) {
      const t: Sample[] = [];
      const b: Sample[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        // Alternate which goes first, so drift (table growth, autovacuum, neighbours) hits both alike.
        if (rep % 2 === 0) {
          t.push(await tessera.run(workers, TASKS, measure));
          b.push(await boss.run(workers, TASKS, measure));
        } else {
          b.push(await boss.run(workers, TASKS, measure));
          t.push(await tessera.run(workers, TASKS, measure));
        }
        log(
          `  N=${workers} run ${rep + 1}: Tessera ${Math.round(t[rep].perSec)}/s, pg-boss ` +
            `${Math.round(b[rep].perSec)}/s (load ${t[rep].load1})`,
        );
      }
      const ts = side(t);
      const bs = side(b);
      results.push({
        workers,
        agentSockets: tessera.socketsFor(workers),
        tessera: ts,
        pgBoss: bs,
        ratio: round(ts.medianPerSec / bs.medianPerSec, 3),
      });
    }

    let deep: {
      depth: number;
      workers: number;
      tasks: number;
      tessera: Side;
      pgBoss: Side;
      ratio: number;
    } | null = null;
    if (DEEP_QUEUE > 0) {
      const depth = Math.max(DEEP_QUEUE, DEEP_TASKS * REPS);
      log(
        `deep queue: ${depth} queued, ${REPS} × ${DEEP_TASKS} tasks claimed and completed at N=${HEADLINE_WORKERS}`,
      );
      const t = await tessera.runDeep(HEADLINE_WORKERS, depth, DEEP_TASKS, REPS, measure);
      const b = await boss.runDeep(HEADLINE_WORKERS, depth, DEEP_TASKS, REPS, measure);
      const ts = side(t);
      const bs = side(b);
      deep = {
        depth,
        workers: HEADLINE_WORKERS,
        tasks: DEEP_TASKS,
        tessera: ts,
        pgBoss: bs,
        ratio: round(ts.medianPerSec / bs.medianPerSec, 3),
      };
    }

    log(
      `latency: ${LATENCY_JOBS} single-task jobs, an idle fleet of ${LATENCY_AGENTS} agents waiting in a claim`,
    );
    const raw =
      LATENCY_JOBS > 0
        ? await measureLatency(tessera, tessera.agents.slice(0, LATENCY_AGENTS), LATENCY_JOBS)
        : null;
    const latency = raw && {
      jobs: LATENCY_JOBS,
      agents: LATENCY_AGENTS,
      fromResponseMs: summary(raw.fromResponseMs),
      fromRequestMs: summary(raw.fromRequestMs),
      mutationMs: summary(raw.mutationMs),
      targetMs: LATENCY_TARGET_MS,
      pass: percentile(raw.fromResponseMs, 95) < LATENCY_TARGET_MS,
      samplesMs: {
        fromResponse: raw.fromResponseMs.map((v) => round(v, 2)),
        fromRequest: raw.fromRequestMs.map((v) => round(v, 2)),
      },
    };
    const finishedAt = new Date();
    const headline = results.find((r) => r.workers === HEADLINE_WORKERS) ?? results[0];

    log();
    log(`Claim + complete throughput (${TASKS}-task job per run, median of ${REPS} runs)`);
    const rows = results.map((r) => [
      String(r.workers),
      Math.round(r.tessera.medianPerSec),
      Math.round(r.pgBoss.medianPerSec),
      r.ratio.toFixed(2),
    ]);
    if (deep) {
      rows.push([
        `${deep.workers}, ${deep.depth} queued`,
        Math.round(deep.tessera.medianPerSec),
        Math.round(deep.pgBoss.medianPerSec),
        deep.ratio.toFixed(2),
      ]);
    }
    log(table(['N workers', 'Tessera tasks/s', 'pg-boss jobs/s', 'ratio'], rows));
    log();
    log(
      `ratio (Tessera ÷ pg-boss) at N=${headline.workers}: ${headline.ratio.toFixed(2)} ` +
        `(target ≥ 1.0: ${headline.ratio >= 1 ? 'PASS' : 'FAIL'})`,
    );
    log();
    log(
      'CPU ms per task (medians; Tessera: coordinator + its PostgreSQL backends; pg-boss: in-process + backends)',
    );
    const cpuRows = [...results.map((r) => ({ label: String(r.workers), t: r.tessera, b: r.pgBoss }))];
    if (deep)
      cpuRows.push({ label: `${deep.workers}, ${deep.depth} queued`, t: deep.tessera, b: deep.pgBoss });
    log(
      table(
        ['N workers', 'coordinator', 'postgres', 'agents', 'pg-boss lib', 'postgres'],
        cpuRows.map(({ label, t, b }) => [
          label,
          fmtMs(t.medianCpuMsPerTask.coordinator),
          fmtMs(t.medianCpuMsPerTask.postgres),
          fmtMs(t.medianCpuMsPerTask.simulatedAgents),
          fmtMs(b.medianCpuMsPerTask.pgBossClient),
          fmtMs(b.medianCpuMsPerTask.postgres),
        ]),
      ),
    );
    if (latency) {
      log();
      log(
        `Submit-to-lease latency on an idle fleet (${latency.agents} agents in a long-poll claim, ` +
          `${latency.jobs} single-task jobs)`,
      );
      log(
        table(
          ['measured from', 'p50 ms', 'p95 ms', 'max ms'],
          [
            [
              'mutation response',
              latency.fromResponseMs.p50,
              latency.fromResponseMs.p95,
              latency.fromResponseMs.max,
            ],
            [
              'mutation request',
              latency.fromRequestMs.p50,
              latency.fromRequestMs.p95,
              latency.fromRequestMs.max,
            ],
            ['(the mutation)', latency.mutationMs.p50, latency.mutationMs.p95, latency.mutationMs.max],
          ],
        ),
      );
      log(
        `target p95 < ${LATENCY_TARGET_MS} ms plus container start, from the response: ` +
          `${latency.pass ? 'PASS' : 'FAIL'}`,
      );
    }

    const report = {
      bench: 'dispatch',
      ratio: headline.ratio,
      ratioDefinition:
        `Tessera tasks/s ÷ pg-boss jobs/s, claim + complete, medians of ${REPS} runs at N=${headline.workers} ` +
        `workers, ${TASKS}-task job per run`,
      target: { ratio: 1.0, latencyP95Ms: LATENCY_TARGET_MS },
      pass: { ratio: headline.ratio >= 1, latency: latency?.pass ?? null },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSec: round((finishedAt.getTime() - startedAt.getTime()) / 1000),
      machine: {
        ...machine,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
      },
      config: {
        tasksPerMeasurement: TASKS,
        repetitions: REPS,
        workers: WORKERS,
        headlineWorkers: HEADLINE_WORKERS,
        warmupTasks: WARMUP_TASKS,
        databasePoolSize: POOL_SIZE,
        agentSockets: AGENT_SOCKETS || 'one per worker',
        socketRateLimit: `${SOCKET_MSGS_PER_SEC} messages/s per socket, burst 400 (2 messages per task)`,
        deepQueue: DEEP_QUEUE,
        deepTasks: DEEP_TASKS,
        pgBoss: { max: POOL_SIZE, supervise: false, schedule: false, fetch: 'one job per fetch()' },
        coordinator: {
          distRoot: distRoot(),
          env: { DATABASE_POOL_SIZE: POOL_SIZE, TESSERA_LOG_LEVEL: 'warn' },
        },
      },
      method: [
        'Tessera: the compiled coordinator runs as its own process against a fresh database. For each run a job',
        `of ${TASKS} tasks is submitted over GraphQL (not timed); then N worker loops, each with one request in flight,`,
        'send claim → lease → task.completed (outputs: []) → ok over the provider WebSocket until every task is done.',
        'Workers send through a pool of authenticated agent sockets in turn so that no socket exceeds the',
        `protocol's per-socket limit (${SOCKET_MSGS_PER_SEC} messages/s, i.e. 100 tasks/s); concurrency is still N.`,
        'pg-boss: the same number of jobs is inserted (not timed), then N loops call fetch() and complete() in this',
        'process, against another fresh database on the same server. The two alternate which goes first. Each run',
        'is checked: the Tessera job ends COMPLETED with every task done; no pg-boss job is left queued.',
        'CPU ms per task come from /proc: the coordinator process, the PostgreSQL backends serving each database,',
        'and this process (simulated agents for Tessera; pg-boss itself for pg-boss).',
      ].join(' '),
      results,
      deepQueue: deep,
      latency,
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    log();
    log(`wrote ${relative(process.cwd(), out) || out}`);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench/dispatch failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
