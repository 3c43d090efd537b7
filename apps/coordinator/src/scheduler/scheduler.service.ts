import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Capabilities, Lease, TaskCompletedMessage, TaskFailedMessage } from '@tessera/protocol';
import { EntityManager } from 'typeorm';
import { BlobsRepository } from '../blobs/blobs.repository';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { JobState } from '../jobs/job-state';
import { JobsRepository } from '../jobs/jobs.repository';
import { MetricsService } from '../health/metrics.service';
import { ProviderProfile, WorkloadOutputError } from '@tessera/workloads';
import { BLOB_STORE, BlobStore, readBlobBytes } from '../blobs/blob-store';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { BillingService } from '../billing/billing.service';
import { JobCompletionService } from '../jobs/job-completion.service';
import { SETTLEMENT_HOOKS, SettlementHooks } from '../verification/settlement-hooks';
import { VerificationService } from '../verification/verification.service';
import { GatewayError } from './gateway-error';
import { LeasedTaskRow, LeasesRepository, LockedAttempt, ProviderFit } from './leases.repository';

export function profileOf(c: Capabilities): ProviderProfile {
  return {
    cpuCores: c.cpu.cores,
    memoryBytes: c.memoryBytes,
    gpus: c.gpus,
    images: c.images,
    slots: c.slots,
  };
}

/** What the claim matches tasks against: the machine, and the blobs its agent last said it caches. */
export function fitOf(
  capabilities: Capabilities,
  cachedBlobs: readonly string[] = [],
  identity: { owner: string; trusted: boolean } = { owner: '', trusted: false },
): ProviderFit {
  return {
    owner: identity.owner,
    trusted: identity.trusted,
    kinds: capabilities.kinds,
    cpus: capabilities.cpu.cores,
    memoryBytes: capabilities.memoryBytes,
    gpus: capabilities.gpus.length,
    vramBytes: capabilities.gpus.length ? Math.min(...capabilities.gpus.map((g) => g.vramBytes)) : 0,
    images: capabilities.images,
    // Distinct: each one is a probe of the queue.
    blobs: [...new Set(cachedBlobs)],
  };
}

/** What settling a failure leaves to do once committed. */
interface Settled {
  /** Attempts on other providers that must now be cancelled (the job failed). */
  cancelled: { id: string; providerId: string }[];
  /** A spot-check's task failed for good: its verification ends unresolved. */
  checkGaveUp?: { verificationId: string; reason: string };
  /** The job failed: its escrow is refunded. */
  jobFailed?: string;
}

/**
 * Leases and outcomes: what happens when an agent claims, starts, heartbeats, completes or fails a
 * task, and when a lease runs out. Every method takes the acting provider first and only ever
 * touches attempts that provider holds.
 */
@Injectable()
export class SchedulerService {
  private readonly logger = new Logger(SchedulerService.name);
  /** Images a task can run on: the customer allow-list and the render images. */
  private readonly allowedImages: ReadonlySet<string>;

  constructor(
    private readonly leases: LeasesRepository,
    private readonly jobs: JobsRepository,
    private readonly blobs: BlobsRepository,
    private readonly workloads: WorkloadRegistry,
    private readonly metrics: MetricsService,
    @Inject(EVENT_BUS) private readonly events: EventBus,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    private readonly verification: VerificationService,
    private readonly completion: JobCompletionService,
    @Inject(SETTLEMENT_HOOKS) private readonly settlement: SettlementHooks,
    private readonly billing: BillingService,
  ) {
    this.allowedImages = new Set([
      ...config.workloads.allowedImages,
      config.render.image,
      config.render.gpuImage,
    ]);
  }

  /**
   * Leases the best fitting queued task to the provider, or undefined when none fits. Tasks whose
   * cache key is among `cachedBlobs` (the agent's blob cache, from its claim) come first, then
   * tasks on an image the provider has cached, then any. Spot-checks of work by this provider or
   * its owner are never leased to it; a trusted verifier gets only spot-checks.
   */
  async claim(
    providerId: string,
    capabilities: Capabilities,
    cachedBlobs: readonly string[] = [],
    identity: { address: string; owner?: string } = { address: '' },
  ): Promise<Lease | undefined> {
    const { leaseTtlMs, providerJobFailureLimit } = this.config.scheduler;
    const fit = fitOf(capabilities, cachedBlobs, {
      owner: identity.owner ?? identity.address,
      trusted:
        identity.address !== '' && this.config.verification.trustedVerifiers.includes(identity.address),
    });
    // Only images a task can name matter for the preference; it also bounds the claim's per-image probes.
    fit.images = fit.images.filter((image) => this.allowedImages.has(image));
    const row = await this.leases.claim(providerId, fit, leaseTtlMs, providerJobFailureLimit);
    if (!row) return undefined;
    this.metrics.tasksLeased.inc({ kind: row.kind });
    this.publishTask(row.jobId, row.accountId, row.taskId);
    return this.toLease(row, capabilities);
  }

  private toLease(row: LeasedTaskRow, capabilities: Capabilities): Lease {
    const plugin = this.workloads.get(row.kind);
    const container = plugin.containerSpec(
      {
        index: row.index,
        params: row.params,
        image: row.image,
        requirements: {
          cpus: row.reqCpus,
          memoryBytes: row.reqMemoryBytes,
          gpus: row.reqGpus,
          vramBytes: row.reqVramBytes,
        },
        timeoutSec: row.timeoutSec,
        inputs: row.inputs,
      },
      profileOf(capabilities),
    );
    return {
      attemptId: row.attemptId,
      taskId: row.taskId,
      jobId: row.jobId,
      kind: row.kind,
      leaseExpiresAt: new Date(row.leaseExpiresAt).toISOString(),
      task: { index: row.index, params: row.params },
      container,
    };
  }

  async started(providerId: string, attemptId: string): Promise<void> {
    const started = await this.leases.markStarted(attemptId, providerId);
    if (!started) throw new GatewayError('NOT_LEASED', `attempt ${attemptId} is not leased to you`);
    this.publishTask(started.jobId, started.accountId, started.taskId);
  }

  /** Renews the listed leases the provider still holds; the rest are revoked (stop working on them). */
  async heartbeat(
    providerId: string,
    attemptIds: string[],
  ): Promise<{
    renewed: { attemptId: string; leaseExpiresAt: string }[];
    revoked: { attemptId: string; reason: string }[];
  }> {
    const renewed = await this.leases.renew(providerId, attemptIds, this.config.scheduler.leaseTtlMs);
    const held = new Set(renewed.map((r) => r.id));
    return {
      renewed: renewed.map((r) => ({
        attemptId: r.id,
        leaseExpiresAt: new Date(r.leaseExpiresAt).toISOString(),
      })),
      revoked: attemptIds
        .filter((id) => !held.has(id))
        .map((attemptId) => ({ attemptId, reason: 'the lease expired or the task was cancelled' })),
    };
  }

  /**
   * Accepts a finished attempt: every output must already be in the blob store with the declared
   * size, and a commitment must cover the task's items. The commitment is stored with the attempt.
   * Idempotent: reporting the same success twice (after a reconnect) is acknowledged again.
   * Guarantee: at most one attempt per task is accepted, because only the task's live attempt can
   * succeed and its row is locked while it does.
   */
  async complete(providerId: string, msg: TaskCompletedMessage): Promise<void> {
    // Blobs are immutable once stored, so this check needs no lock.
    const stored = await this.blobs.existing([...new Set(msg.outputs.map((o) => o.sha256))]);
    const missing = msg.outputs.find((o) => stored.get(o.sha256) !== o.size);
    // A result with outputs or a commitment is checked up front. One with neither (most container
    // tasks) is completed in one statement unless its kind has checks ("done" without running
    // anything must not pass for a render chunk or an inference shard): then the statement refuses
    // it and the checks below run on the slow path.
    const checked = !missing && (msg.outputs.length > 0 || msg.commitment !== undefined);
    if (checked) {
      const task = await this.checkOutputs(providerId, msg);
      // Render and inference work may be spot-checked, and spot-checks' own results are compared:
      // those completions are the verification's to settle (it returns `accept` when not checked).
      if (task && this.verification.handles(task)) {
        const outcome = await this.verification.completed(providerId, msg, task);
        if (outcome === 'handled') {
          this.metrics.tasksCompleted.inc({ outcome: task.role === 'check' ? 'checked' : 'verifying' });
          return;
        }
        if (outcome === undefined) return this.explainRefusal(providerId, msg, missing);
      }
    }
    if (!missing) {
      let done = await this.leases.completeLive(
        msg.attemptId,
        providerId,
        msg.outputs,
        new Date(msg.startedAt),
        new Date(msg.finishedAt),
        msg.commitment,
        checked ? [] : this.workloads.checkedKinds(),
      );
      if (!done && !checked && (await this.leases.attemptStatus(msg.attemptId, providerId))?.live) {
        await this.checkOutputs(providerId, msg);
        done = await this.leases.completeLive(
          msg.attemptId,
          providerId,
          msg.outputs,
          new Date(msg.startedAt),
          new Date(msg.finishedAt),
          msg.commitment,
        );
      }
      if (done) {
        const jobCompleted = await this.completion.completeIfDone(done);
        this.metrics.tasksCompleted.inc({ outcome: 'accepted' });
        this.publishTask(done.jobId, done.accountId, done.taskId);
        if (jobCompleted) this.logger.log({ msg: 'job completed', jobId: done.jobId });
        if (msg.commitment !== undefined)
          await this.settlement.taskAccepted({
            jobId: done.jobId,
            taskId: done.taskId,
            attemptId: msg.attemptId,
            providerId,
            verified: 'unchecked',
          });
        return;
      }
    }
    return this.explainRefusal(providerId, msg, missing);
  }

  /** A completion that was not accepted: say why. */
  private async explainRefusal(
    providerId: string,
    msg: TaskCompletedMessage,
    missing: TaskCompletedMessage['outputs'][number] | undefined,
  ): Promise<void> {
    // The attempt can only have left the live states, so no lock is needed.
    const status = await this.leases.attemptStatus(msg.attemptId, providerId);
    if (!status) throw new GatewayError('NOT_LEASED', `attempt ${msg.attemptId} is not yours`);
    if (status.attemptState === 'SUCCEEDED') return; // a repeated report, already accepted
    if (!status.live) {
      throw new GatewayError(
        'NOT_LEASED',
        `attempt ${msg.attemptId} is ${status.attemptState.toLowerCase()}, its result is not accepted`,
      );
    }
    const m = missing;
    if (!m)
      throw new GatewayError(
        'NOT_LEASED',
        `attempt ${msg.attemptId} changed while completing; report it again`,
      );
    throw new GatewayError(
      'OUTPUT_MISSING',
      `output ${m.path} (${m.sha256}, ${m.size} bytes) was not uploaded`,
    );
  }

  /**
   * The workload's own checks of a result (a render chunk has all its frames, of the right size),
   * read from the blob store, and, for kinds with output items, the commitment's count: it must be
   * the items the task promised (frames, rows), or the Merkle tree would not cover the work that
   * spot-checks sample from. A result that fails them fails its attempt, so the task is retried
   * elsewhere, and the agent hears why.
   */
  private async checkOutputs(
    providerId: string,
    msg: TaskCompletedMessage,
  ): Promise<Awaited<ReturnType<LeasesRepository['taskOfAttempt']>>> {
    const task = await this.leases.taskOfAttempt(msg.attemptId, providerId);
    if (!task) return undefined; // not this provider's attempt: the completion below says so
    const plugin = this.workloads.get(task.kind);
    try {
      await plugin.checkOutputs?.(
        task,
        msg.outputs,
        (file, maxBytes) => this.readBlob(file.sha256, maxBytes),
        false,
      );
      if (plugin.commitItems) this.checkCommitment(msg, task);
    } catch (error) {
      if (!(error instanceof WorkloadOutputError)) throw error;
      this.logger.warn({
        msg: 'result refused',
        attemptId: msg.attemptId,
        providerId,
        reason: error.message,
      });
      await this.fail(providerId, {
        type: 'task.failed',
        id: 'check',
        attemptId: msg.attemptId,
        code: 'OUTPUT_INVALID',
        message: error.message,
      });
      throw new GatewayError(
        'OUTPUT_INVALID',
        `${error.message}; the attempt failed and the task will be retried`,
      );
    }
    return task;
  }

  /** Throws WorkloadOutputError when the commitment does not cover exactly the task's items. */
  private checkCommitment(msg: TaskCompletedMessage, task: { kind: string; items: number }): void {
    if (!msg.commitment) {
      // Protocol 2 makes it mandatory: without it nothing can be spot-checked.
      throw new WorkloadOutputError(
        `a ${task.kind} result needs a commitment to its items (docs/protocol.md, "Commitments")`,
      );
    }
    if (msg.commitment.items !== task.items) {
      throw new WorkloadOutputError(
        `the commitment covers ${msg.commitment.items} items but this ${task.kind} task has ${task.items}`,
      );
    }
  }

  private async readBlob(sha256: string, maxBytes = Infinity): Promise<Buffer> {
    const bytes = await readBlobBytes(this.store, sha256, maxBytes);
    if (!bytes) throw new WorkloadOutputError(`output ${sha256} is not in the blob store`);
    return bytes;
  }

  /** Records a failed attempt; the task is retried elsewhere or, past its attempt limit, fails the job. */
  async fail(providerId: string, msg: TaskFailedMessage): Promise<void> {
    const outcome = await this.leases.withLockedAttempt(msg.attemptId, providerId, async (tx, a) => {
      // Already settled (cancelled by the coordinator, expired, or a repeated report): nothing to do.
      if (a.attemptState !== 'LEASED' && a.attemptState !== 'RUNNING') return 'settled' as const;
      const failure = { code: msg.code, message: msg.message, exitCode: msg.exitCode };
      // An agent that gives a task back (shutting down, lease never delivered) is not at fault.
      const settled = await this.settleFailure(
        tx,
        a,
        msg.code === 'CANCELLED' ? 'CANCELLED' : 'FAILED',
        failure,
      );
      return { a, settled };
    });
    if (outcome === undefined) throw new GatewayError('NOT_LEASED', `attempt ${msg.attemptId} is not yours`);
    if (outcome === 'settled') return;
    this.metrics.tasksCompleted.inc({ outcome: 'failed' });
    this.afterSettle(outcome.a, outcome.settled);
  }

  /** Gives back a lease that was never delivered: re-queued at once, not counted against the provider. */
  async release(providerId: string, attemptId: string, reason: string): Promise<void> {
    await this.fail(providerId, {
      type: 'task.failed',
      id: 'release',
      attemptId,
      code: 'CANCELLED',
      message: reason,
    });
  }

  /** Ends one expired lease (called by the sweeper); false when another replica got there first. */
  async expire(attemptId: string, providerId: string): Promise<boolean> {
    const outcome = await this.leases.withLockedAttempt(attemptId, providerId, async (tx, a) => {
      if (a.attemptState !== 'LEASED' && a.attemptState !== 'RUNNING') return undefined;
      const message = `the agent stopped heartbeating (lease of ${this.config.scheduler.leaseTtlMs / 1000} s ran out)`;
      const settled = await this.settleFailure(tx, a, 'EXPIRED', { code: 'LEASE_EXPIRED', message });
      return { a, settled };
    });
    if (!outcome) return false;
    this.metrics.leasesExpired.inc();
    this.logger.warn({ msg: 'lease expired', attemptId, providerId, taskId: outcome.a.taskId });
    this.afterSettle(outcome.a, outcome.settled);
    return true;
  }

  /**
   * Shared by failure, expiry and give-back: end the attempt; if it was the task's live attempt,
   * either re-queue the task or, when it has used all its attempts, fail it and its job. Failures
   * and expiries count against the provider and the task's attempt budget; a give-back (CANCELLED by
   * the agent) counts against neither. Returns attempts on other providers that must now be cancelled.
   */
  private async settleFailure(
    tx: EntityManager,
    a: LockedAttempt,
    state: 'FAILED' | 'EXPIRED' | 'CANCELLED',
    failure: { code: string; message: string; exitCode?: number },
  ): Promise<Settled> {
    await this.leases.endAttempt(tx, a.attemptId, state, failure);
    const none: Settled = { cancelled: [] };
    if (a.currentAttemptId !== a.attemptId || (a.taskState !== 'LEASED' && a.taskState !== 'RUNNING'))
      return none;
    if (state === 'CANCELLED') {
      await this.leases.requeueTask(tx, a.taskId, { refundAttempt: true });
      return none;
    }
    await this.leases.recordProviderFailure(tx, a.jobId, a.providerId);
    if (a.attempts < a.maxAttempts) {
      await this.leases.requeueTask(tx, a.taskId);
      return none;
    }
    if (a.role === 'check') {
      // A spot-check that cannot run ends its verification unresolved, not the customer's job.
      await this.leases.failTask(tx, a.taskId, 'CHECK_FAILED', failure.message);
      return {
        cancelled: [],
        checkGaveUp: a.verificationId
          ? { verificationId: a.verificationId, reason: failure.message }
          : undefined,
      };
    }
    const reason = `task ${a.taskIndex} failed ${a.attempts} times; last: ${failure.code}: ${failure.message}`;
    await this.leases.failTask(tx, a.taskId, 'TASK_FAILED', reason);
    const { liveAttempts } = await this.jobs.end(tx, a.jobId, JobState.FAILED, {
      code: 'TASK_FAILED',
      message: reason,
    });
    return { cancelled: liveAttempts, jobFailed: a.jobId };
  }

  private afterSettle(a: LockedAttempt, { cancelled, checkGaveUp, jobFailed }: Settled): void {
    if (jobFailed) {
      void this.billing
        .jobEnded(jobFailed)
        .catch((error: unknown) => this.logger.error({ msg: 'could not refund a failed job', err: error }));
    }
    // Concluded once the failure is committed: a verification has its own transaction.
    if (checkGaveUp) {
      void this.verification
        .checkTaskGaveUp(checkGaveUp.verificationId, checkGaveUp.reason)
        .catch((error: unknown) => this.logger.error({ msg: 'could not end a spot-check', err: error }));
    }
    this.publishTask(a.jobId, a.accountId, a.taskId);
    for (const attempt of cancelled) {
      this.events.publish({
        type: 'attempt.cancel',
        providerId: attempt.providerId,
        attemptId: attempt.id,
        reason: 'the job failed',
      });
    }
    this.events.publish({ type: 'work.queued', kind: 'any' });
  }

  async appendLog(providerId: string, attemptId: string, text: string): Promise<void> {
    await this.leases.appendLog(attemptId, providerId, text, 8192);
  }

  private publishTask(jobId: string, accountId: string, taskId: string): void {
    this.events.publish({ type: 'task.updated', jobId, accountId, taskId });
    this.events.publish({ type: 'job.updated', jobId, accountId });
  }
}
