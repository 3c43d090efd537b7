import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Commitment, OutputFile } from '@tessera/protocol';
import type { TaskInput, TaskPlan, TaskSpec } from '@tessera/workloads';
import { DataSource, EntityManager, In } from 'typeorm';
import { StoredRound, StoredSample, VerificationEntity, VerificationState } from './verification.entity';

/** What a verification's decisions read: the checked attempt and its task. */
export interface VerificationContext {
  id: string;
  state: VerificationState;
  samples: StoredSample[];
  rounds: StoredRound[];
  attemptId: string;
  providerId: string;
  proofDeadline: Date | null;
  commitmentRoot: string | null;
  commitmentItems: number | null;
  outputs: OutputFile[];
  task: TaskSpec & { id: string; kind: string; items: number; priority: number; maxAttempts: number };
  jobId: string;
  accountId: string;
}

/** The task/job/account an outcome touched, for events and job completion. */
export interface Touched {
  taskId: string;
  jobId: string;
  accountId: string;
  tasksDone?: number;
  tasksTotal?: number;
}

const TASK_COLUMNS = `t.id AS "taskId", t.kind, t.items, t.index, t.params, t.image, t.req_cpus AS "reqCpus",
  t.req_memory_bytes AS "reqMemoryBytes", t.req_gpus AS "reqGpus", t.req_vram_bytes AS "reqVramBytes",
  t.timeout_sec AS "timeoutSec", t.inputs, t.priority, t.max_attempts AS "maxAttempts"`;

interface TaskColumns {
  taskId: string;
  kind: string;
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
  priority: number;
  maxAttempts: number;
}

function taskOf(r: TaskColumns): VerificationContext['task'] {
  return {
    id: r.taskId,
    kind: r.kind,
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
    priority: r.priority,
    maxAttempts: r.maxAttempts,
  };
}

/**
 * Spot-check state in SQL: verifications, check tasks, the checked task's outcome and providers'
 * check records. Methods that take `tx` run inside VerificationService's locked transaction.
 */
@Injectable()
export class VerificationRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The provider's live attempt succeeds and its work task waits for a spot-check (VERIFYING) with
   * a new verification waiting for the proof, in one statement: the sample is stored together with
   * the commitment it was drawn after. Undefined when the attempt is not this provider's live one.
   */
  async begin(input: {
    attemptId: string;
    providerId: string;
    outputs: OutputFile[];
    startedAt: Date;
    finishedAt: Date;
    commitment: Commitment;
    samples: StoredSample[];
    proofDeadline: Date;
  }): Promise<{ verificationId: string; taskId: string; jobId: string; accountId: string } | undefined> {
    const rows: { verificationId: string; taskId: string; jobId: string; accountId: string }[] =
      await this.db.query(
        `WITH l AS (
           SELECT a.id AS attempt_id, t.id AS task_id, t.job_id
             FROM attempt a JOIN task t ON t.id = a.task_id
            WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE AND a.state IN ('LEASED', 'RUNNING')
              AND t.current_attempt_id = $1 AND t.state IN ('LEASED', 'RUNNING') AND t.role = 'work'
            FOR UPDATE OF a, t
         ), a AS (
           UPDATE attempt SET state = 'SUCCEEDED', outputs = $3::jsonb, started_at = COALESCE(started_at, $4),
                              finished_at = $5, exit_code = 0, commitment_root = $6, commitment_items = $7
             FROM l WHERE attempt.id = l.attempt_id RETURNING attempt.id
         ), t AS (
           UPDATE task SET state = 'VERIFYING', updated_at = now() FROM l WHERE task.id = l.task_id RETURNING task.id
         ), v AS (
           INSERT INTO verification (job_id, task_id, attempt_id, provider_id, state, samples, proof_deadline)
           SELECT l.job_id, l.task_id, l.attempt_id, $2, 'PROVING', $8::jsonb, $9 FROM l
           RETURNING id
         )
         SELECT v.id AS "verificationId", l.task_id AS "taskId", l.job_id AS "jobId", j.account_id AS "accountId"
           FROM l CROSS JOIN v JOIN job j ON j.id = l.job_id`,
        [
          input.attemptId,
          input.providerId,
          JSON.stringify(input.outputs),
          input.startedAt,
          input.finishedAt,
          input.commitment.root,
          input.commitment.items,
          JSON.stringify(input.samples),
          input.proofDeadline,
        ],
      );
    return rows[0];
  }

  /**
   * A verifier's live check attempt succeeds and its check task is done, in one statement.
   * Undefined when the attempt is not this provider's live attempt of a check task.
   */
  async completeCheck(input: {
    attemptId: string;
    providerId: string;
    outputs: OutputFile[];
    startedAt: Date;
    finishedAt: Date;
    commitment: Commitment | undefined;
  }): Promise<{ checkTaskId: string; verificationId: string; jobId: string; accountId: string } | undefined> {
    const rows: { checkTaskId: string; verificationId: string; jobId: string; accountId: string }[] =
      await this.db.query(
        `WITH l AS (
           SELECT a.id AS attempt_id, t.id AS task_id, t.job_id, t.verification_id
             FROM attempt a JOIN task t ON t.id = a.task_id
            WHERE a.id = $1 AND (a.provider_id = $2) IS TRUE AND a.state IN ('LEASED', 'RUNNING')
              AND t.current_attempt_id = $1 AND t.state IN ('LEASED', 'RUNNING') AND t.role = 'check'
            FOR UPDATE OF a, t
         ), a AS (
           UPDATE attempt SET state = 'SUCCEEDED', outputs = $3::jsonb, started_at = COALESCE(started_at, $4),
                              finished_at = $5, exit_code = 0, commitment_root = $6, commitment_items = $7
             FROM l WHERE attempt.id = l.attempt_id RETURNING attempt.id
         ), t AS (
           UPDATE task SET state = 'ACCEPTED', outputs = $3::jsonb, finished_at = now(), updated_at = now()
             FROM l WHERE task.id = l.task_id RETURNING task.id
         )
         SELECT l.task_id AS "checkTaskId", l.verification_id AS "verificationId", l.job_id AS "jobId",
                j.account_id AS "accountId"
           FROM l JOIN job j ON j.id = l.job_id`,
        [
          input.attemptId,
          input.providerId,
          JSON.stringify(input.outputs),
          input.startedAt,
          input.finishedAt,
          input.commitment?.root ?? null,
          input.commitment?.items ?? null,
        ],
      );
    return rows[0];
  }

  /** The verification of one of this provider's attempts, with what its proof is checked against. */
  async ofAttempt(attemptId: string, providerId: string): Promise<VerificationContext | undefined> {
    return this.load(`v.attempt_id = $1 AND v.provider_id = $2`, [attemptId, providerId]);
  }

  /** Runs `work` with the verification row locked (decisions are made one at a time). */
  async withLocked<T>(
    verificationId: string,
    work: (tx: EntityManager, v: VerificationContext) => Promise<T>,
  ): Promise<T | undefined> {
    return this.db.transaction(async (tx) => {
      const v = await this.load(`v.id = $1`, [verificationId], tx, 'FOR UPDATE OF v');
      return v ? work(tx, v) : undefined;
    });
  }

  private async load(
    where: string,
    params: unknown[],
    tx?: EntityManager,
    lock = '',
  ): Promise<VerificationContext | undefined> {
    const rows: (TaskColumns & {
      id: string;
      state: VerificationState;
      samples: StoredSample[];
      rounds: StoredRound[];
      attemptId: string;
      providerId: string;
      proofDeadline: Date | null;
      commitmentRoot: string | null;
      commitmentItems: number | null;
      outputs: OutputFile[] | null;
      jobId: string;
      accountId: string;
    })[] = await (tx ?? this.db).query(
      `SELECT v.id, v.state, v.samples, v.rounds, v.attempt_id AS "attemptId", v.provider_id AS "providerId",
              v.proof_deadline AS "proofDeadline", a.commitment_root AS "commitmentRoot",
              a.commitment_items AS "commitmentItems", a.outputs, v.job_id AS "jobId", j.account_id AS "accountId",
              ${TASK_COLUMNS}
         FROM verification v JOIN attempt a ON a.id = v.attempt_id JOIN task t ON t.id = v.task_id
         JOIN job j ON j.id = v.job_id
        WHERE ${where} ${lock}`,
      params,
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id,
      state: r.state,
      samples: r.samples,
      rounds: r.rounds,
      attemptId: r.attemptId,
      providerId: r.providerId,
      proofDeadline: r.proofDeadline,
      commitmentRoot: r.commitmentRoot,
      commitmentItems: r.commitmentItems,
      outputs: r.outputs ?? [],
      task: taskOf(r),
      jobId: r.jobId,
      accountId: r.accountId,
    };
  }

  /** A verifier's finished check attempt: who ran it and what it returned. */
  async checkAttempt(
    tx: EntityManager,
    checkTaskId: string,
  ): Promise<
    | { attemptId: string; providerId: string; owner: string; outputs: OutputFile[]; root: string | null }
    | undefined
  > {
    const rows: {
      attemptId: string;
      providerId: string;
      owner: string;
      outputs: OutputFile[];
      root: string | null;
    }[] = await tx.query(
      `SELECT a.id AS "attemptId", a.provider_id AS "providerId", COALESCE(p.owner, p.address) AS owner,
              a.outputs, a.commitment_root AS root
         FROM task t JOIN attempt a ON a.id = t.current_attempt_id JOIN provider p ON p.id = a.provider_id
        WHERE t.id = $1 AND a.state = 'SUCCEEDED'`,
      [checkTaskId],
    );
    return rows[0];
  }

  /**
   * Queues a check task (a round of re-execution) in the checked task's job and records the round:
   * the verification is CHECKING from here on.
   */
  async addRound(
    tx: EntityManager,
    v: VerificationContext,
    plan: Omit<TaskPlan, 'index'>,
    round: Omit<StoredRound, 'checkTaskId'>,
    opts: { priority: number; maxAttempts: number; exclude: string[]; poolAfter: Date },
  ): Promise<string> {
    const [row]: { id: string }[] = await tx.query(
      `INSERT INTO task (job_id, index, kind, state, role, verification_id, params, image, req_cpus, req_memory_bytes,
                         req_gpus, req_vram_bytes, timeout_sec, inputs, cache_key, priority, max_attempts, items,
                         exclude, pool_after, queued_at)
       VALUES ($1, $2, $3, 'QUEUED', 'check', $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16,
               $17::text[], $18, now())
       RETURNING id`,
      [
        v.jobId,
        v.task.index,
        v.task.kind,
        v.id,
        JSON.stringify(plan.params),
        plan.image,
        plan.requirements.cpus,
        plan.requirements.memoryBytes,
        plan.requirements.gpus,
        plan.requirements.vramBytes,
        plan.timeoutSec,
        JSON.stringify(plan.inputs),
        plan.cacheKey ?? null,
        opts.priority,
        opts.maxAttempts,
        plan.items,
        opts.exclude,
        opts.poolAfter,
      ],
    );
    const stored: StoredRound = { ...round, checkTaskId: row.id };
    await tx.query(
      `UPDATE verification SET state = 'CHECKING', proof_deadline = NULL, rounds = rounds || $2::jsonb WHERE id = $1`,
      [v.id, JSON.stringify([stored])],
    );
    return row.id;
  }

  async saveRounds(tx: EntityManager, verificationId: string, rounds: StoredRound[]): Promise<void> {
    await tx.query(`UPDATE verification SET rounds = $2::jsonb WHERE id = $1`, [
      verificationId,
      JSON.stringify(rounds),
    ]);
  }

  /** Ends the verification (the outcome's other effects are the caller's). */
  async finish(
    tx: EntityManager,
    verificationId: string,
    state: VerificationState,
    reason: string,
  ): Promise<void> {
    await tx.query(
      `UPDATE verification SET state = $2, reason = left($3, 2000), proof_deadline = NULL, finished_at = now()
        WHERE id = $1`,
      [verificationId, state, reason],
    );
  }

  /**
   * The checked task is accepted with the checked attempt's outputs: the job's counters move and
   * the outputs become the customer's (granted only now, so unverified work is never downloadable).
   */
  async acceptTask(tx: EntityManager, v: VerificationContext): Promise<Touched | undefined> {
    const rows: { tasksDone: number; tasksTotal: number }[] = await tx.query(
      `WITH t AS (
         UPDATE task SET state = 'ACCEPTED', outputs = $3::jsonb, finished_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'VERIFYING' AND current_attempt_id = $2
         RETURNING id, job_id, items
       ), j AS (
         UPDATE job SET tasks_done = tasks_done + 1, items_done = items_done + t.items, updated_at = now()
           FROM t WHERE job.id = t.job_id
         RETURNING job.account_id, job.tasks_done, job.tasks_total
       ), g AS (
         INSERT INTO blob_grant (sha256, account_id)
         SELECT DISTINCT unnest($4::char(64)[]), j.account_id FROM j
         ON CONFLICT DO NOTHING
       )
       SELECT tasks_done AS "tasksDone", tasks_total AS "tasksTotal" FROM j`,
      [v.task.id, v.attemptId, JSON.stringify(v.outputs), v.outputs.map((o) => o.sha256)],
    );
    const r = rows[0];
    return r ? { taskId: v.task.id, jobId: v.jobId, accountId: v.accountId, ...r } : undefined;
  }

  /**
   * The checked attempt is REJECTED and its task goes back to the queue for someone else, its
   * attempt refunded (a cheater must not use up the customer's retries).
   */
  async rejectAttempt(
    tx: EntityManager,
    v: VerificationContext,
    code: 'CHECK_FAILED' | 'CHECK_UNRESOLVED',
    reason: string,
  ): Promise<void> {
    await tx.query(
      `UPDATE attempt SET state = 'REJECTED', failure_code = $2, failure_message = left($3, 2000) WHERE id = $1`,
      [v.attemptId, code, reason],
    );
    await tx.query(
      `UPDATE task SET state = 'QUEUED', current_attempt_id = NULL, attempts = GREATEST(attempts - 1, 0),
              updated_at = now()
        WHERE id = $1 AND state = 'VERIFYING' AND current_attempt_id = $2`,
      [v.task.id, v.attemptId],
    );
  }

  /** Check tasks of this verification not yet done are cancelled; returns their live attempts. */
  async cancelChecks(
    tx: EntityManager,
    verificationId: string,
  ): Promise<{ id: string; providerId: string }[]> {
    await tx.query(
      `UPDATE task SET state = 'CANCELLED', finished_at = now(), updated_at = now()
        WHERE verification_id = $1 AND state IN ('QUEUED', 'LEASED', 'RUNNING')`,
      [verificationId],
    );
    const [attempts]: [{ id: string; providerId: string }[], number] = await tx.query(
      `UPDATE attempt a SET state = 'CANCELLED', finished_at = now(), failure_code = 'CANCELLED',
              failure_message = 'the spot-check ended'
         FROM task t WHERE t.id = a.task_id AND t.verification_id = $1 AND a.state IN ('LEASED', 'RUNNING')
       RETURNING a.id, a.provider_id AS "providerId"`,
      [verificationId],
    );
    return attempts;
  }

  /** How many earlier verifications of this task ended UNRESOLVED. */
  async unresolvedBefore(tx: EntityManager, taskId: string): Promise<number> {
    const [row]: { n: number }[] = await tx.query(
      `SELECT count(*)::int AS n FROM verification WHERE task_id = $1 AND state = 'UNRESOLVED'`,
      [taskId],
    );
    return row.n;
  }

  /** Verifications past their proof deadline (oldest first). */
  async overdueProofs(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM verification WHERE state = 'PROVING' AND proof_deadline < now() ORDER BY proof_deadline LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /** Verifications whose current check task has waited in the queue longer than `waitMs`. */
  async stalledChecks(waitMs: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT v.id FROM verification v JOIN task t ON t.verification_id = v.id
        WHERE v.state = 'CHECKING' AND t.state = 'QUEUED' AND t.queued_at < now() - $1 * interval '1 millisecond'
        ORDER BY t.queued_at LIMIT $2`,
      [waitMs, limit],
    );
    return rows.map((r) => r.id);
  }

  /** This provider's verifications still waiting for its proof. */
  async waitingForProof(
    providerId: string,
  ): Promise<{ attemptId: string; samples: StoredSample[]; proofDeadline: Date }[]> {
    return this.db.query(
      `SELECT attempt_id AS "attemptId", samples, proof_deadline AS "proofDeadline"
         FROM verification WHERE provider_id = $1 AND state = 'PROVING'`,
      [providerId],
    );
  }

  /** Verifications of these tasks, oldest first (GraphQL). */
  ofTasks(taskIds: readonly string[]): Promise<VerificationEntity[]> {
    if (taskIds.length === 0) return Promise.resolve([]);
    return this.db
      .getRepository(VerificationEntity)
      .find({ where: { taskId: In([...taskIds]) }, order: { createdAt: 'ASC' } });
  }

  /** Verification counts of a job's tasks by state (GraphQL job summary). */
  async countsOfJob(jobId: string): Promise<Partial<Record<VerificationState, number>>> {
    const rows: { state: VerificationState; n: number }[] = await this.db.query(
      `SELECT state, count(*)::int AS n FROM verification WHERE job_id = $1 GROUP BY state`,
      [jobId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}
