import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { OutputFile } from '@tessera/protocol';
import type { TaskInput } from '@tessera/workloads';
import { DataSource, EntityManager } from 'typeorm';

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
}

// The fit filter shared by both branches of the claim. $1 provider, $2 kinds, $3 cpus, $4 memory,
// $5 gpus, $6 vram, $8 failure limit.
const FITS = `
  state = 'QUEUED' AND kind = ANY($2::text[])
  AND req_cpus <= $3 AND req_memory_bytes <= $4 AND req_gpus <= $5 AND (req_gpus = 0 OR req_vram_bytes <= $6)
  AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                   WHERE f.job_id = task.job_id AND f.provider_id = $1 AND f.failures >= $8)`;

/**
 * Leases, attempts and their outcomes: the scheduler's hot path, in SQL written for it. Only this
 * class and the jobs repository touch task and attempt rows.
 */
@Injectable()
export class LeasesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Leases the best queued task that fits, in one statement: pick (FOR UPDATE SKIP LOCKED, so
   * concurrent claimers never wait on or take the same row), mark LEASED, create the attempt, and
   * move the job to RUNNING on its first lease. Preference: tasks on an image the host already has,
   * then priority, then queue order. `A UNION ALL B LIMIT 1` runs B only when A found nothing (Append
   * runs its children in order and the Limit stops pulling), so the fallback branch locks nothing
   * when the preferred one succeeds; the scheduler test checks the plan says so.
   */
  async claim(
    providerId: string,
    fit: ProviderFit,
    leaseTtlMs: number,
    failureLimit: number,
  ): Promise<LeasedTaskRow | undefined> {
    const rows: LeasedTaskRow[] = await this.db.query(
      `WITH picked AS (
         SELECT id FROM (SELECT id FROM task WHERE ${FITS} AND image = ANY($7::text[])
                          ORDER BY priority DESC, queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) preferred
         UNION ALL
         SELECT id FROM (SELECT id FROM task WHERE ${FITS}
                          ORDER BY priority DESC, queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) any_fit
         LIMIT 1
       ), leased AS (
         UPDATE task t SET state = 'LEASED', attempts = t.attempts + 1, current_attempt_id = gen_random_uuid(),
                           updated_at = now()
           FROM picked WHERE t.id = picked.id
         RETURNING t.*
       ), attempt_row AS (
         INSERT INTO attempt (id, task_id, job_id, provider_id, number, state, leased_at, lease_expires_at)
         SELECT current_attempt_id, id, job_id, $1, (SELECT count(*) + 1 FROM attempt WHERE task_id = leased.id),
                'LEASED', now(), now() + $9 * interval '1 millisecond'
           FROM leased
         RETURNING id, lease_expires_at
       ), job_row AS (
         UPDATE job SET state = 'RUNNING', started_at = now(), updated_at = now()
           FROM leased WHERE job.id = leased.job_id AND job.state = 'QUEUED'
         RETURNING job.id
       )
       SELECT l.id AS "taskId", l.job_id AS "jobId", j.account_id AS "accountId", l.index, l.kind, l.params,
              l.image, l.req_cpus AS "reqCpus", l.req_memory_bytes::float8 AS "reqMemoryBytes",
              l.req_gpus AS "reqGpus", l.req_vram_bytes::float8 AS "reqVramBytes", l.timeout_sec AS "timeoutSec",
              l.inputs, a.id AS "attemptId", a.lease_expires_at AS "leaseExpiresAt"
         FROM leased l CROSS JOIN attempt_row a JOIN job j ON j.id = l.job_id`,
      [
        providerId,
        fit.kinds,
        fit.cpus,
        fit.memoryBytes,
        fit.gpus,
        fit.vramBytes,
        fit.images,
        failureLimit,
        leaseTtlMs,
      ],
    );
    return rows[0];
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
                a.provider_id AS "providerId"
           FROM attempt a JOIN task t ON t.id = a.task_id JOIN job j ON j.id = t.job_id
          WHERE a.id = $1 AND a.provider_id = $2
          FOR UPDATE OF a, t`,
        [attemptId, providerId],
      );
      return rows[0] ? work(tx, rows[0]) : undefined;
    });
  }

  // Steps inside withLockedAttempt -------------------------------------------------------------------

  async succeedAttempt(
    tx: EntityManager,
    a: LockedAttempt,
    outputs: OutputFile[],
    startedAt: Date,
    finishedAt: Date,
  ): Promise<void> {
    await tx.query(
      `UPDATE attempt SET state = 'SUCCEEDED', outputs = $2, started_at = COALESCE(started_at, $3), finished_at = $4, exit_code = 0
        WHERE id = $1`,
      [a.attemptId, JSON.stringify(outputs), startedAt, finishedAt],
    );
    await tx.query(
      `UPDATE task SET state = 'ACCEPTED', outputs = $2, finished_at = now(), updated_at = now() WHERE id = $1`,
      [a.taskId, JSON.stringify(outputs)],
    );
  }

  /** Counts an accepted task; returns the job's progress after it. */
  async countTaskDone(
    tx: EntityManager,
    jobId: string,
  ): Promise<{ tasksDone: number; tasksTotal: number; state: string }> {
    const [rows]: [{ tasksDone: number; tasksTotal: number; state: string }[], number] = await tx.query(
      `UPDATE job SET tasks_done = tasks_done + 1, updated_at = now() WHERE id = $1
        RETURNING tasks_done AS "tasksDone", tasks_total AS "tasksTotal", state`,
      [jobId],
    );
    return rows[0];
  }

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
