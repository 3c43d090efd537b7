import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Commitment, OutputFile } from '@tessera/protocol';
import type { TaskInput, TaskSpec } from '@tessera/workloads';
import type { Pool, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** What a provider's machine offers, in the units tasks ask for. */
export interface ProviderFit {
  kinds: string[];
  cpus: number;
  memoryBytes: number;
  gpus: number;
  /** VRAM of the provider's smallest GPU (0 without GPUs). */
  vramBytes: number;
  /** Images cached on the host: tasks on them are offered first. */
  images: string[];
  /** Digests in the agent's blob cache: tasks whose cache key is one of them come before all others. */
  blobs: string[];
  /** The wallet that owns the machine: tasks excluding it (spot-checks of its own work) are skipped. */
  owner: string;
  /** A trusted verifier takes only spot-checks that waited for an eligible provider long enough. */
  trusted: boolean;
}

export interface LeasedTaskRow {
  taskId: string;
  jobId: string;
  accountId: string;
  index: number;
  kind: string;
  params: Record<string, unknown>;
  image: string;
  reqCpus: number;
  reqMemoryBytes: number;
  reqGpus: number;
  reqVramBytes: number;
  timeoutSec: number;
  inputs: TaskInput[];
  attemptId: string;
  leaseExpiresAt: Date;
}

/** An attempt locked together with its task, for settling its outcome. */
export interface LockedAttempt {
  attemptId: string;
  attemptState: string;
  attemptOutputs: OutputFile[] | null;
  taskId: string;
  taskState: string;
  taskIndex: number;
  currentAttemptId: string | null;
  attempts: number;
  maxAttempts: number;
  jobId: string;
  accountId: string;
  providerId: string;
  role: 'work' | 'check';
  verificationId: string | null;
}

/**
 * Leases, attempts and their outcomes: the scheduler's hot path, in SQL written for it. Only this
 * class and the jobs repository touch task and attempt rows.
 */
@Injectable()
export class LeasesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Leases the best queued task that fits, in one round trip: `tessera_claim_task` (migrations
   * ClaimFunction1764100000000 and BlobAffinity1764400000000 explain the SQL and why it lives in the
   * database) picks with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on or take the
   * same row. Preference: a task whose cache key the agent holds, then one on a cached image, then any.
   */
  async claim(
    providerId: string,
    fit: ProviderFit,
    leaseTtlMs: number,
    failureLimit: number,
  ): Promise<LeasedTaskRow | undefined> {
    const rows = await this.prepared<{
      task_id: string;
      job_id: string;
      account_id: string;
      task_index: number;
      kind: string;
      params: Record<string, unknown>;
      image: string;
      req_cpus: number;
      req_memory_bytes: string;
      req_gpus: number;
      req_vram_bytes: string;
      timeout_sec: number;
      inputs: TaskInput[];
      attempt_id: string;
      lease_expires_at: Date;
    }>(
      'tessera_claim',
      'SELECT * FROM tessera_claim_task($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [
        providerId,
        fit.owner,
        fit.trusted,
        fit.kinds,
        fit.cpus,
        fit.memoryBytes,
        fit.gpus,
        fit.vramBytes,
        fit.images,
        fit.blobs,
        failureLimit,
        leaseTtlMs,
      ],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      taskId: r.task_id,
      jobId: r.job_id,
      accountId: r.account_id,
      index: r.task_index,
      kind: r.kind,
      params: r.params,
      image: r.image,
      reqCpus: r.req_cpus,
      reqMemoryBytes: Number(r.req_memory_bytes),
      reqGpus: r.req_gpus,
      reqVramBytes: Number(r.req_vram_bytes),
      timeoutSec: r.timeout_sec,
      inputs: r.inputs,
      attemptId: r.attempt_id,
      leaseExpiresAt: r.lease_expires_at,
    };
  }

  /**
   * The common case of a completion in one round trip: the live attempt of this provider succeeds,
   * its task is accepted, the job's counter moves and the outputs are granted to the job's owner.
   * The provider's commitment to its output items, if it sent one, is stored on the attempt.
   * Returns undefined when the attempt is not this provider's live attempt (already succeeded,
   * expired, cancelled, someone else's): the caller then works out which, under locks.
   */
  async completeLive(
    attemptId: string,
    providerId: string,
    outputs: OutputFile[],
    startedAt: Date,
    finishedAt: Date,
    commitment: Commitment | undefined,
    /** Kinds whose results must be checked first: a task of one of these is not completed here. */
    uncheckedKinds: readonly string[] = [],
  ): Promise<
    { taskId: string; jobId: string; accountId: string; tasksDone: number; tasksTotal: number } | undefined
  > {
    const rows = await this.prepared<{
      task_id: string;
      job_id: string;
      account_id: string;
      tasks_done: number;
      tasks_total: number;
    }>(
      'tessera_complete',
      // Both lookups stay on primary keys whatever the statistics say (a generic plan is made once,
      // often while the tables are still small): `(a.provider_id = $2) IS TRUE` so the planner does
      // not walk the provider's attempt history through its index, and the task's id from a scalar
      // subquery with `(t.role = 'work') IS TRUE` so it does not scan the partial (job, index)
      // index of work tasks, which made each completion cost O(tasks) (bench:dispatch 0.65 → …).
      `WITH l AS (
         SELECT a.id AS attempt_id, t.id AS task_id, t.job_id
           FROM attempt a JOIN task t ON t.id = a.task_id
          WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE AND a.state IN ('LEASED', 'RUNNING')
            AND t.id = (SELECT task_id FROM attempt WHERE id = $1)
            AND t.current_attempt_id = $1 AND t.state IN ('LEASED', 'RUNNING')
            AND (t.role = 'work') IS TRUE AND NOT (t.kind = ANY($9::text[]))
          FOR UPDATE OF a, t
       ), a AS (
         UPDATE attempt SET state = 'SUCCEEDED', outputs = $3::jsonb, started_at = COALESCE(started_at, $4),
                            finished_at = $5, exit_code = 0, commitment_root = $7, commitment_items = $8
           FROM l WHERE attempt.id = l.attempt_id
         RETURNING attempt.id
       ), t AS (
         UPDATE task SET state = 'ACCEPTED', outputs = $3::jsonb, finished_at = now(), updated_at = now()
           FROM l WHERE task.id = l.task_id
         RETURNING task.id, task.job_id, task.items
       ), j AS (
         UPDATE job SET tasks_done = tasks_done + 1, items_done = items_done + t.items, updated_at = now()
           FROM t WHERE job.id = t.job_id
         RETURNING job.id, job.account_id, job.tasks_done, job.tasks_total
       ), g AS (
         INSERT INTO blob_grant (sha256, account_id)
         SELECT DISTINCT unnest($6::char(64)[]), j.account_id FROM j
         ON CONFLICT DO NOTHING
       )
       SELECT l.task_id, j.id AS job_id, j.account_id, j.tasks_done, j.tasks_total FROM l JOIN j ON j.id = l.job_id`,
      [
        attemptId,
        providerId,
        JSON.stringify(outputs),
        startedAt,
        finishedAt,
        outputs.map((o) => o.sha256),
        commitment?.root ?? null,
        commitment?.items ?? null,
        uncheckedKinds,
      ],
    );
    const r = rows[0];
    return r
      ? {
          taskId: r.task_id,
          jobId: r.job_id,
          accountId: r.account_id,
          tasksDone: r.tasks_done,
          tasksTotal: r.tasks_total,
        }
      : undefined;
  }

  /**
   * Runs a hot statement as a named prepared statement on the driver's pool: parsed and planned
   * once per connection instead of per call (TypeORM's query() sends unnamed statements). Never
   * call it inside a transaction callback: it takes its own connection.
   */
  private async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const pool = (this.db.driver as PostgresDriver).master as Pool;
    return (await pool.query<T & QueryResultRow>({ name, text, values })).rows;
  }

  /** LEASED → RUNNING for the attempt and its task. False when the provider does not hold it. */
  async markStarted(
    attemptId: string,
    providerId: string,
  ): Promise<{ jobId: string; taskId: string; accountId: string } | undefined> {
    const rows: { jobId: string; taskId: string; accountId: string }[] = await this.db.query(
      `WITH a AS (
         UPDATE attempt SET state = 'RUNNING', started_at = COALESCE(started_at, now())
          WHERE id = $1 AND provider_id = $2 AND state IN ('LEASED', 'RUNNING')
         RETURNING task_id, job_id
       ), t AS (
         UPDATE task SET state = 'RUNNING', updated_at = now()
           FROM a WHERE task.id = a.task_id AND task.current_attempt_id = $1 AND task.state = 'LEASED'
         RETURNING task.id
       )
       SELECT a.job_id AS "jobId", a.task_id AS "taskId", j.account_id AS "accountId"
         FROM a JOIN job j ON j.id = a.job_id`,
      [attemptId, providerId],
    );
    return rows[0];
  }

  /** Extends the leases the provider still holds among `attemptIds`; returns those renewed. */
  async renew(
    providerId: string,
    attemptIds: string[],
    leaseTtlMs: number,
  ): Promise<{ id: string; leaseExpiresAt: Date }[]> {
    if (attemptIds.length === 0) return [];
    // TypeORM returns [rows, rowCount] for UPDATE.
    const [rows]: [{ id: string; leaseExpiresAt: Date }[], number] = await this.db.query(
      `UPDATE attempt SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE provider_id = $1 AND id = ANY($2::uuid[]) AND state IN ('LEASED', 'RUNNING')
        RETURNING id, lease_expires_at AS "leaseExpiresAt"`,
      [providerId, attemptIds, leaseTtlMs],
    );
    return rows;
  }

  /** Live attempts whose lease ran out, oldest first (locked rows are another replica's). */
  async findExpired(limit: number): Promise<{ id: string; providerId: string }[]> {
    return this.db.query(
      `SELECT id, provider_id AS "providerId" FROM attempt
        WHERE state IN ('LEASED', 'RUNNING') AND lease_expires_at < now()
        ORDER BY lease_expires_at LIMIT $1`,
      [limit],
    );
  }

  /** Appends to an attempt's log tail, keeping the last `keep` characters. */
  async appendLog(attemptId: string, providerId: string, text: string, keep: number): Promise<void> {
    await this.db.query(
      `UPDATE attempt SET log_tail = right(log_tail || $3, $4) WHERE id = $1 AND provider_id = $2`,
      [attemptId, providerId, text, keep],
    );
  }

  /** The task behind one of this provider's attempts, as the workload hooks see it, with its item count. */
  async taskOfAttempt(
    attemptId: string,
    providerId: string,
  ): Promise<(TaskSpec & { kind: string; items: number; role: 'work' | 'check' }) | undefined> {
    const rows: {
      kind: string;
      role: 'work' | 'check';
      items: number;
      index: number;
      params: Record<string, unknown>;
      image: string;
      reqCpus: number;
      reqMemoryBytes: string;
      reqGpus: number;
      reqVramBytes: string;
      timeoutSec: number;
      inputs: TaskInput[];
    }[] = await this.db.query(
      `SELECT t.kind, t.role, t.items, t.index, t.params, t.image, t.req_cpus AS "reqCpus", t.req_memory_bytes AS "reqMemoryBytes",
              t.req_gpus AS "reqGpus", t.req_vram_bytes AS "reqVramBytes", t.timeout_sec AS "timeoutSec", t.inputs
         FROM attempt a JOIN task t ON t.id = a.task_id
        WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE`,
      [attemptId, providerId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      kind: r.kind,
      role: r.role,
      items: r.items,
      index: r.index,
      params: r.params,
      image: r.image,
      requirements: {
        cpus: r.reqCpus,
        memoryBytes: Number(r.reqMemoryBytes),
        gpus: r.reqGpus,
        vramBytes: Number(r.reqVramBytes),
      },
      timeoutSec: r.timeoutSec,
      inputs: r.inputs,
    };
  }

  /** The attempt's state if it is this provider's, and whether it is still the task's live attempt. */
  async attemptStatus(
    attemptId: string,
    providerId: string,
  ): Promise<{ attemptState: string; live: boolean } | undefined> {
    const rows: { attemptState: string; live: boolean }[] = await this.db.query(
      `SELECT a.state AS "attemptState",
              (a.state IN ('LEASED', 'RUNNING') AND t.current_attempt_id = a.id AND t.state IN ('LEASED', 'RUNNING')) AS live
         FROM attempt a JOIN task t ON t.id = a.task_id
        WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE`,
      [attemptId, providerId],
    );
    return rows[0];
  }

  /** Runs `work` in a transaction with the attempt and its task locked; undefined if not this provider's. */
  async withLockedAttempt<T>(
    attemptId: string,
    providerId: string,
    work: (tx: EntityManager, locked: LockedAttempt) => Promise<T>,
  ): Promise<T | undefined> {
    return this.db.transaction(async (tx) => {
      const rows: LockedAttempt[] = await tx.query(
        `SELECT a.id AS "attemptId", a.state AS "attemptState", a.outputs AS "attemptOutputs", t.id AS "taskId",
                t.state AS "taskState", t.index AS "taskIndex", t.current_attempt_id AS "currentAttemptId",
                t.attempts, t.max_attempts AS "maxAttempts", t.job_id AS "jobId", j.account_id AS "accountId",
                a.provider_id AS "providerId", t.role, t.verification_id AS "verificationId"
           FROM attempt a JOIN task t ON t.id = a.task_id JOIN job j ON j.id = t.job_id
          WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE
          FOR UPDATE OF a, t`,
        [attemptId, providerId],
      );
      return rows[0] ? work(tx, rows[0]) : undefined;
    });
  }

  // Steps inside withLockedAttempt -------------------------------------------------------------------

  async endAttempt(
    tx: EntityManager,
    attemptId: string,
    state: 'FAILED' | 'EXPIRED' | 'CANCELLED',
    failure: { code: string; message: string; exitCode?: number },
  ): Promise<void> {
    await tx.query(
      `UPDATE attempt SET state = $2, failure_code = $3, failure_message = left($4, 2000), exit_code = $5, finished_at = now()
        WHERE id = $1`,
      [attemptId, state, failure.code, failure.message, failure.exitCode ?? null],
    );
  }

  /** Back to the queue; `refundAttempt` returns the lease to the task's attempt budget. */
  async requeueTask(
    tx: EntityManager,
    taskId: string,
    opts: { refundAttempt?: boolean } = {},
  ): Promise<void> {
    // queued_at is kept: a retried task goes back to its old place, near the front of the queue.
    await tx.query(
      `UPDATE task SET state = 'QUEUED', current_attempt_id = NULL, updated_at = now(),
              attempts = attempts - CASE WHEN $2 THEN 1 ELSE 0 END
        WHERE id = $1`,
      [taskId, opts.refundAttempt === true],
    );
  }

  async failTask(tx: EntityManager, taskId: string, code: string, message: string): Promise<void> {
    await tx.query(
      `UPDATE task SET state = 'FAILED', error_code = $2, error_message = left($3, 2000), finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [taskId, code, message],
    );
  }

  async recordProviderFailure(tx: EntityManager, jobId: string, providerId: string): Promise<number> {
    const rows: { failures: number }[] = await tx.query(
      `INSERT INTO job_provider_failure (job_id, provider_id, failures, last_failure_at) VALUES ($1, $2, 1, now())
       ON CONFLICT (job_id, provider_id) DO UPDATE SET failures = job_provider_failure.failures + 1, last_failure_at = now()
       RETURNING failures`,
      [jobId, providerId],
    );
    return rows[0].failures;
  }
}
