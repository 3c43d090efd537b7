import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { OutputFile } from '@tessera/protocol';
import type { TaskPlan } from '@tessera/workloads';
import { DataSource, EntityManager, In } from 'typeorm';
import { AttemptEntity } from './attempt.entity';
import { JobEntity } from './job.entity';
import { JobState, TaskState } from './job-state';
import { TaskEntity } from './task.entity';

export interface NewJob {
  /** Chosen by the caller when money was reserved under it first. */
  id?: string;
  accountId: string;
  kind: string;
  name: string | null;
  params: Record<string, unknown>;
  priority: number;
  maxAttempts: number;
  tasks: TaskPlan[];
}

export interface QueueDepthRow {
  kind: string;
  queued: number;
  running: number;
}

const INSERT_CHUNK = 1000;

@Injectable()
export class JobsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores a job and all its tasks in one transaction: a job is queued whole or not at all. */
  async create(job: NewJob): Promise<JobEntity> {
    return this.db.transaction(async (tx) => {
      const saved = await tx.getRepository(JobEntity).save({
        ...(job.id ? { id: job.id } : {}),
        accountId: job.accountId,
        kind: job.kind,
        name: job.name,
        params: job.params,
        priority: job.priority,
        state: JobState.QUEUED,
        tasksTotal: job.tasks.length,
        itemsTotal: job.tasks.reduce((sum, t) => sum + t.items, 0),
      });
      for (let i = 0; i < job.tasks.length; i += INSERT_CHUNK) {
        await tx.getRepository(TaskEntity).insert(
          job.tasks.slice(i, i + INSERT_CHUNK).map((t) => ({
            jobId: saved.id,
            index: t.index,
            kind: job.kind,
            state: TaskState.QUEUED,
            params: t.params as TaskEntity['params'] & object,
            image: t.image,
            reqCpus: t.requirements.cpus,
            reqMemoryBytes: t.requirements.memoryBytes,
            reqGpus: t.requirements.gpus,
            reqVramBytes: t.requirements.vramBytes,
            timeoutSec: t.timeoutSec,
            inputs: t.inputs,
            cacheKey: t.cacheKey ?? null,
            priority: job.priority,
            maxAttempts: job.maxAttempts,
            // One microsecond apart in task order: equal timestamps would leave the order of a job's
            // tasks in the queue to heap layout; this way chunks and shards start first-to-last.
            queuedAt: () => `transaction_timestamp() + ${Math.trunc(t.index)} * interval '1 microsecond'`,
            items: t.items,
          })),
        );
      }
      return saved;
    });
  }

  findById(id: string): Promise<JobEntity | null> {
    return this.db.getRepository(JobEntity).findOneBy({ id });
  }

  listForAccount(
    accountId: string,
    opts: { states?: JobState[]; limit: number; before?: Date },
  ): Promise<JobEntity[]> {
    const qb = this.db
      .getRepository(JobEntity)
      .createQueryBuilder('j')
      .where('j.accountId = :accountId', { accountId })
      .orderBy('j.createdAt', 'DESC')
      .limit(opts.limit);
    if (opts.states?.length) qb.andWhere('j.state IN (:...states)', { states: opts.states });
    if (opts.before) qb.andWhere('j.createdAt < :before', { before: opts.before });
    return qb.getMany();
  }

  /** The job's work tasks (its spot-check tasks are seen through their verifications). */
  tasksOf(jobId: string): Promise<TaskEntity[]> {
    return this.db
      .getRepository(TaskEntity)
      .find({ where: { jobId, role: 'work' }, order: { index: 'ASC' } });
  }

  findTask(taskId: string): Promise<TaskEntity | null> {
    return this.db.getRepository(TaskEntity).findOneBy({ id: taskId });
  }

  attemptsOf(taskIds: string[]): Promise<AttemptEntity[]> {
    if (taskIds.length === 0) return Promise.resolve([]);
    return this.db
      .getRepository(AttemptEntity)
      .find({ where: { taskId: In(taskIds) }, order: { number: 'ASC' } });
  }

  attemptsOfProvider(providerId: string, limit: number): Promise<AttemptEntity[]> {
    return this.db
      .getRepository(AttemptEntity)
      .find({ where: { providerId }, order: { leasedAt: 'DESC' }, take: limit });
  }

  async acceptedOutputs(jobId: string): Promise<{ index: number; outputs: OutputFile[] }[]> {
    return this.db.query(
      `SELECT index, outputs FROM task WHERE job_id = $1 AND role = 'work' AND state = 'ACCEPTED' ORDER BY index`,
      [jobId],
    );
  }

  /** Outputs of every task of the job, in task order (for merging). */
  async taskOutputs(tx: EntityManager, jobId: string): Promise<{ index: number; outputs: OutputFile[] }[]> {
    return tx.query(`SELECT index, outputs FROM task WHERE job_id = $1 AND role = 'work' ORDER BY index`, [
      jobId,
    ]);
  }

  async complete(tx: EntityManager, jobId: string, outputs: OutputFile[]): Promise<boolean> {
    const [, affected] = await tx.query(
      `UPDATE job SET state = 'COMPLETED', outputs = $2, finished_at = now(), updated_at = now()
        WHERE id = $1 AND state = 'RUNNING'`,
      [jobId, JSON.stringify(outputs)],
    );
    return affected > 0;
  }

  /**
   * Ends a job that is not finished yet (failed or cancelled): its unfinished tasks are cancelled
   * and its live attempts too. Returns the attempts whose agents must be told to stop.
   */
  async end(
    tx: EntityManager,
    jobId: string,
    state: JobState.FAILED | JobState.CANCELLED,
    error: { code: string; message: string } | null,
  ): Promise<{ ended: boolean; liveAttempts: { id: string; providerId: string }[] }> {
    const [, affected] = await tx.query(
      `UPDATE job SET state = $2, error_code = $3, error_message = left($4, 2000), finished_at = now(), updated_at = now()
        WHERE id = $1 AND state IN ('QUEUED', 'RUNNING')`,
      [jobId, state, error?.code ?? null, error?.message ?? null],
    );
    if (affected === 0) return { ended: false, liveAttempts: [] };
    await tx.query(
      `UPDATE task SET state = 'CANCELLED', finished_at = now(), updated_at = now()
        WHERE job_id = $1 AND state IN ('QUEUED', 'LEASED', 'RUNNING', 'SUBMITTED', 'VERIFYING')`,
      [jobId],
    );
    await tx.query(
      `UPDATE verification SET state = 'CANCELLED', reason = 'the job ended first', proof_deadline = NULL,
              finished_at = now()
        WHERE job_id = $1 AND state IN ('PROVING', 'CHECKING')`,
      [jobId],
    );
    const [liveAttempts] = await tx.query(
      `UPDATE attempt SET state = 'CANCELLED', finished_at = now(), failure_code = 'CANCELLED',
              failure_message = $2
        WHERE job_id = $1 AND state IN ('LEASED', 'RUNNING')
        RETURNING id, provider_id AS "providerId"`,
      [jobId, state === JobState.CANCELLED ? 'the job was cancelled' : 'the job failed'],
    );
    return { ended: true, liveAttempts };
  }

  /** Locks the job row for a state change. */
  async lock(tx: EntityManager, jobId: string): Promise<JobEntity | undefined> {
    return (
      (await tx
        .getRepository(JobEntity)
        .createQueryBuilder('j')
        .setLock('pessimistic_write')
        .where('j.id = :jobId', { jobId })
        .getOne()) ?? undefined
    );
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async queueDepth(): Promise<QueueDepthRow[]> {
    const rows: { kind: string; queued: string; running: string }[] = await this.db.query(
      `SELECT kind, count(*) FILTER (WHERE state = 'QUEUED') AS queued,
              count(*) FILTER (WHERE state IN ('LEASED', 'RUNNING')) AS running
         FROM task WHERE state IN ('QUEUED', 'LEASED', 'RUNNING') GROUP BY kind ORDER BY kind`,
    );
    return rows.map((r) => ({ kind: r.kind, queued: Number(r.queued), running: Number(r.running) }));
  }
}
