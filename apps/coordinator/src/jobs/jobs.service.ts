import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { OutputFile } from '@tessera/protocol';
import { WorkloadInputError, WorkloadInputErrorCode, WorkloadPolicy } from '@tessera/workloads';
import { Actor, requireAccount } from '../auth/actor';
import { ZipFile } from 'yazl';
import { BillingService } from '../billing/billing.service';
import { BLOB_STORE, BlobStore } from '../blobs/blob-store';
import { BlobsService } from '../blobs/blobs.service';
import { AppError, AppErrorCode } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { MetricsService } from '../health/metrics.service';
import { ModelsService } from '../models/models.service';
import { ProvidersService } from '../providers/providers.service';
import { SceneInspector } from '../render/scene-inspector.service';
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
    private readonly inspector: SceneInspector,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    private readonly providers: ProvidersService,
    private readonly models: ModelsService,
    private readonly billing: BillingService,
  ) {}

  /**
   * Validates the parameters with the kind's plugin, splits the job into tasks and queues it whole.
   * Invalid input is refused with the field at fault and nothing stored.
   */
  async submit(actor: Actor, kind: string, input: unknown, opts: SubmitOptions = {}): Promise<JobEntity> {
    const accountId = requireAccount(actor);
    const plugin = this.workloads.get(kind);
    const onlineProviders = await this.providers.countOnline(kind);
    let params: unknown;
    try {
      params = await plugin.validate(input, {
        policy: this.policy,
        lookupBlob: (sha256) => this.blobs.lookupForAccount(accountId, sha256),
        inspectScene: this.inspector.enabled ? (blend) => this.inspector.inspect(blend) : undefined,
        market: this.config.market,
        lookupModel: (id) => this.models.lookup(accountId, id),
        openBlob: (sha256) => this.blobStore.read(sha256),
        storeBlob: (data) => this.blobs.storeForAccount(accountId, data),
        onlineProviders,
      });
    } catch (error) {
      if (error instanceof WorkloadInputError) {
        throw new AppError(appCodeOf(error.code), error.message, error.field, error.lines);
      }
      throw error;
    }
    const tasks = plugin.split(params, { policy: this.policy, onlineProviders });
    // The price cap is reserved before the job exists: no money, no job. Should storing the job
    // then fail, the reservation is refunded (here, or by the billing sweeper after a crash).
    const id = randomUUID();
    await this.billing.reserve(id, accountId, this.billing.capOf(params as Record<string, unknown>));
    const job = await this.jobs
      .create({
        id,
        accountId,
        kind,
        name: opts.name ?? null,
        params: params as Record<string, unknown>,
        priority: opts.priority ?? 0,
        maxAttempts: this.config.scheduler.taskMaxAttempts,
        tasks,
      })
      .catch(async (error: unknown) => {
        await this.billing.jobEnded(id).catch(() => undefined);
        throw error;
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
    await this.billing.jobEnded(jobId);
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

  /** Outputs of the job's accepted tasks so far, in task order (frames appear as chunks land). */
  async acceptedOutputs(actor: Actor, jobId: string): Promise<{ index: number; outputs: OutputFile[] }[]> {
    await this.get(actor, jobId);
    return this.jobs.acceptedOutputs(jobId);
  }

  /**
   * A zip of the outputs accepted so far, named as the job's merged outputs are (thumbnails left
   * out), streamed from the blob store. PNGs and EXRs are stored, not deflated: they are compressed.
   */
  async archive(actor: Actor, jobId: string): Promise<{ name: string; zip: NodeJS.ReadableStream }> {
    const job = await this.get(actor, jobId);
    const files = this.workloads
      .get(job.kind)
      .merge(job.params, await this.jobs.acceptedOutputs(jobId))
      .filter((f) => !f.path.startsWith('thumbs/'));
    if (files.length === 0) throw new AppError('BLOB_NOT_FOUND', `job ${jobId} has no accepted outputs yet`);
    const zip = new ZipFile();
    for (const file of files) {
      const stream = await this.blobStore.read(file.sha256);
      if (!stream) throw new Error(`blob ${file.sha256} of job ${jobId} is missing from the store`);
      zip.addReadStream(stream, file.path, {
        compress: !/\.(png|exr|jpe?g|zip|gz)$/i.test(file.path),
        size: file.size,
      });
    }
    zip.end();
    const name = (job.name ?? `${job.kind}-${job.id.slice(0, 8)}`).replace(/[^\w.-]+/g, '_');
    return { name, zip: zip.outputStream };
  }

  /**
   * An inference batch's outputs as one JSONL stream, one line per row in input order: each shard's
   * outputs.jsonl, in shard order. Only once every shard is done, so the file is whole.
   */
  async rowOutputs(actor: Actor, jobId: string): Promise<{ name: string; stream: Readable }> {
    const job = await this.get(actor, jobId);
    if (job.kind !== 'inference')
      throw new AppError(
        'BAD_INPUT',
        `job ${jobId} is a ${job.kind} job; only inference jobs have row outputs`,
      );
    if (job.state !== JobState.COMPLETED) {
      throw new AppError(
        'JOB_NOT_FINISHED',
        `job ${jobId} is ${job.state.toLowerCase()} (${job.itemsDone} of ${job.itemsTotal} rows done); its outputs are ready when it completes`,
      );
    }
    const files = this.workloads.get(job.kind).merge(job.params, await this.jobs.acceptedOutputs(jobId));
    const store = this.blobStore;
    async function* concatenated(): AsyncGenerator<Buffer> {
      for (const file of files) {
        const part = await store.read(file.sha256);
        if (!part) throw new Error(`blob ${file.sha256} of job ${jobId} is missing from the store`);
        for await (const chunk of part) yield chunk as Buffer;
      }
    }
    const name = (job.name ?? `inference-${job.id.slice(0, 8)}`).replace(/[^\w.-]+/g, '_');
    return { name, stream: Readable.from(concatenated()) };
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

/** Plugin input errors as API errors (exhaustive: a new plugin code fails to compile until mapped). */
function appCodeOf(code: WorkloadInputErrorCode): AppErrorCode {
  switch (code) {
    case 'INVALID_PARAMETER':
      return 'BAD_INPUT';
    case 'IMAGE_NOT_ALLOWED':
    case 'INPUT_NOT_FOUND':
    case 'TOO_MANY_TASKS':
    case 'LIMIT_EXCEEDED':
    case 'NOT_A_BLEND':
    case 'SCENE_INVALID':
    case 'FRAMES_OUT_OF_RANGE':
    case 'PRICE_TOO_LOW':
    case 'INVALID_ROWS':
    case 'UNAVAILABLE':
      return code;
  }
}
