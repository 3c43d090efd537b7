import { Inject, Injectable, Logger } from '@nestjs/common';
import { WorkloadInputError, WorkloadPolicy } from '@tessera/workloads';
import { Actor, requireAccount } from '../auth/actor';
import { BlobsService } from '../blobs/blobs.service';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { MetricsService } from '../health/metrics.service';
import { WORKLOAD_POLICY, WorkloadRegistry } from '../workloads/workloads.module';
import { AttemptEntity } from './attempt.entity';
import { JobEntity } from './job.entity';
import { JobState, TERMINAL_JOB_STATES } from './job-state';
import { JobsRepository, QueueDepthRow } from './jobs.repository';
import { TaskEntity } from './task.entity';

export interface SubmitOptions {
  name?: string | null;
  priority?: number;
}

/** Customers' side of the market: submit, cancel and read jobs. Every method checks ownership. */
@Injectable()
export class JobsService {
  private readonly logger = new Logger(JobsService.name);

  constructor(
    private readonly jobs: JobsRepository,
    private readonly blobs: BlobsService,
    private readonly workloads: WorkloadRegistry,
    private readonly metrics: MetricsService,
    @Inject(WORKLOAD_POLICY) private readonly policy: WorkloadPolicy,
    @Inject(EVENT_BUS) private readonly events: EventBus,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /**
   * Validates the parameters with the kind's plugin, splits the job into tasks and queues it whole.
   * Invalid input is refused with the field at fault and nothing stored.
   */
  async submit(actor: Actor, kind: string, input: unknown, opts: SubmitOptions = {}): Promise<JobEntity> {
    const accountId = requireAccount(actor);
    const plugin = this.workloads.get(kind);
    let params: unknown;
    try {
      params = await plugin.validate(input, {
        policy: this.policy,
        lookupBlob: (sha256) => this.blobs.lookupForAccount(accountId, sha256),
      });
    } catch (error) {
      if (error instanceof WorkloadInputError) {
        throw new AppError(
          error.code === 'INVALID_PARAMETER' ? 'BAD_INPUT' : error.code,
          error.message,
          error.field,
        );
      }
      throw error;
    }
    const tasks = plugin.split(params, this.policy);
    const job = await this.jobs.create({
      accountId,
      kind,
      name: opts.name ?? null,
      params: params as Record<string, unknown>,
      priority: opts.priority ?? 0,
      maxAttempts: this.config.scheduler.taskMaxAttempts,
      tasks,
    });
    this.metrics.jobsSubmitted.inc({ kind });
    this.logger.log({ msg: 'job submitted', jobId: job.id, kind, tasks: tasks.length, accountId });
    this.events.publish({ type: 'job.updated', jobId: job.id, accountId });
    this.events.publish({ type: 'work.queued', kind });
    return job;
  }

  /** Cancels a job that has not finished; agents running its tasks are told to stop. */
  async cancel(actor: Actor, jobId: string): Promise<JobEntity> {
    const accountId = requireAccount(actor);
    const result = await this.jobs.transaction(async (tx) => {
      const job = await this.jobs.lock(tx, jobId);
      if (!job || job.accountId !== accountId) throw this.notFound(jobId);
      if (TERMINAL_JOB_STATES.includes(job.state)) {
        throw new AppError('JOB_ALREADY_FINISHED', `job ${jobId} is already ${job.state.toLowerCase()}`);
      }
      return this.jobs.end(tx, jobId, JobState.CANCELLED, null);
    });
    for (const attempt of result.liveAttempts) {
      this.events.publish({
        type: 'attempt.cancel',
        providerId: attempt.providerId,
        attemptId: attempt.id,
        reason: 'the customer cancelled the job',
      });
    }
    this.events.publish({ type: 'job.updated', jobId, accountId });
    return this.get(actor, jobId);
  }

  /** A job of the actor's; someone else's job is "not found", so ids cannot be probed. */
  async get(actor: Actor, jobId: string): Promise<JobEntity> {
    const accountId = requireAccount(actor);
    const job = /^[0-9a-f-]{36}$/i.test(jobId) ? await this.jobs.findById(jobId) : null;
    if (!job || job.accountId !== accountId) throw this.notFound(jobId);
    return job;
  }

  list(actor: Actor, opts: { states?: JobState[]; limit: number; before?: Date }): Promise<JobEntity[]> {
    return this.jobs.listForAccount(requireAccount(actor), opts);
  }

  async tasks(actor: Actor, jobId: string): Promise<TaskEntity[]> {
    await this.get(actor, jobId);
    return this.jobs.tasksOf(jobId);
  }

  async task(actor: Actor, taskId: string): Promise<TaskEntity> {
    const task = /^[0-9a-f-]{36}$/i.test(taskId) ? await this.jobs.findTask(taskId) : null;
    if (!task) throw new AppError('JOB_NOT_FOUND', `no task ${taskId}`);
    await this.get(actor, task.jobId);
    return task;
  }

  /** Attempts of the given tasks, which the caller has already checked belong to the actor. */
  attemptsOfTasks(taskIds: string[]): Promise<AttemptEntity[]> {
    return this.jobs.attemptsOf(taskIds);
  }

  queueDepth(): Promise<QueueDepthRow[]> {
    return this.jobs.queueDepth();
  }

  allowedImages(): readonly string[] {
    return this.policy.allowedImages;
  }

  private notFound(jobId: string): AppError {
    return new AppError('JOB_NOT_FOUND', `no job ${jobId} in your account`);
  }
}
