import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { JobCompletionService } from '../jobs/job-completion.service';
import { SETTLEMENT_HOOKS, SettlementHooks } from './settlement-hooks';
import { VerificationState } from './verification.entity';
import { CheckRecordsRepository } from './check-records.repository';
import { Touched, VerificationRepository } from './verification.repository';

/**
 * How a spot-check ends, and what follows from it for the task, the provider, the verifiers and the
 * money: one transaction per outcome under the verification's lock, events and settlement after.
 */
@Injectable()
export class VerificationOutcomes {
  private readonly logger = new Logger(VerificationOutcomes.name);

  constructor(
    private readonly repo: VerificationRepository,
    private readonly records: CheckRecordsRepository,
    private readonly completion: JobCompletionService,
    @Inject(EVENT_BUS) private readonly events: EventBus,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(SETTLEMENT_HOOKS) private readonly settlement: SettlementHooks,
    private readonly workloads: WorkloadRegistry,
  ) {}

  /**
   * Ends a verification and applies its consequences in one transaction: PASSED accepts the task
   * (and may blame a verifier that disagreed); FAILED rejects the attempt, re-queues the task for
   * someone else, keeps the provider off this job, counts a failed check (banning at the limit);
   * UNRESOLVED re-queues the task without blame, or, if an earlier check of it was unresolved too,
   * accepts it unverified (so nondeterministic work cannot loop forever).
   */
  async conclude(
    verificationId: string,
    state: VerificationState.PASSED | VerificationState.FAILED | VerificationState.UNRESOLVED,
    reason: string,
    opts: { blame?: string; onlyFrom?: VerificationState; acceptUnverified?: boolean } = {},
  ): Promise<boolean> {
    const policy = this.config.verification.policy;
    const result = await this.repo.withLocked(verificationId, async (tx, v) => {
      if (
        opts.onlyFrom
          ? v.state !== opts.onlyFrom
          : v.state !== VerificationState.PROVING && v.state !== VerificationState.CHECKING
      )
        return undefined;
      await this.repo.finish(tx, v.id, state, reason);
      const cancelled = await this.repo.cancelChecks(tx, v.id);
      let accepted: Touched | undefined;
      let banned: string[] = [];
      if (state === VerificationState.PASSED) {
        accepted = await this.repo.acceptTask(tx, v);
        await this.records.recordCheck(tx, v.providerId, true, { after: policy.banAfterFailures, reason });
        if (opts.blame)
          banned = await this.fail(
            tx,
            opts.blame,
            `its spot-check of task ${v.task.index} disagreed with the provider and a second verifier`,
          );
      } else if (state === VerificationState.FAILED) {
        await this.repo.rejectAttempt(tx, v, 'CHECK_FAILED', reason);
        await this.records.blockFromJob(
          tx,
          v.jobId,
          v.providerId,
          this.config.scheduler.providerJobFailureLimit,
        );
        banned = await this.fail(tx, v.providerId, `failed spot-checks: ${reason}`);
      } else if (opts.acceptUnverified || (await this.repo.unresolvedBefore(tx, v.task.id)) > 1) {
        accepted = await this.repo.acceptTask(tx, v); // nobody to check it, or 2 unresolved in a row
      } else {
        await this.repo.rejectAttempt(tx, v, 'CHECK_UNRESOLVED', reason);
      }
      return { v, accepted, cancelled, banned };
    });
    if (!result) return false;
    const { v, accepted, cancelled, banned } = result;
    this.logger.log({
      msg: `spot-check ${state.toLowerCase()}`,
      verificationId,
      taskId: v.task.id,
      providerId: v.providerId,
      reason,
    });
    for (const a of cancelled)
      this.events.publish({
        type: 'attempt.cancel',
        providerId: a.providerId,
        attemptId: a.id,
        reason: 'the spot-check ended',
      });
    for (const providerId of banned) this.events.publish({ type: 'provider.banned', providerId, reason });
    this.publish({ taskId: v.task.id, jobId: v.jobId, accountId: v.accountId });
    if (accepted) {
      await this.settlement.taskAccepted({
        jobId: v.jobId,
        taskId: v.task.id,
        attemptId: v.attemptId,
        providerId: v.providerId,
        verified: state === VerificationState.PASSED ? 'passed' : 'unresolved',
      });
      await this.completion.completeIfDone(accepted);
    } else {
      if (state === VerificationState.FAILED)
        await this.settlement.attemptRejected({
          jobId: v.jobId,
          taskId: v.task.id,
          attemptId: v.attemptId,
          providerId: v.providerId,
          reason,
        });
      this.events.publish({ type: 'work.queued', kind: v.task.kind });
    }
    // Every verifier that re-executed samples is paid its share, after the task's own charge
    // (whose fee funds it) was posted.
    const plugin = this.workloads.get(v.task.kind);
    for (const r of v.rounds) {
      if (!r.verifierProviderId || !r.verdict) continue;
      await this.settlement.checkRun({
        jobId: v.jobId,
        checkTaskId: r.checkTaskId,
        checkedTaskId: v.task.id,
        verifierProviderId: r.verifierProviderId,
        share: plugin.checkShare?.(v.task, r.samples) ?? 0,
      });
    }
    return true;
  }

  /** Counts a failed check against a provider; returns it when that banned it. */
  private async fail(tx: EntityManager, providerId: string, reason: string): Promise<string[]> {
    const { bannedNow } = await this.records.recordCheck(tx, providerId, false, {
      after: this.config.verification.policy.banAfterFailures,
      reason: `banned after ${this.config.verification.policy.banAfterFailures} failed spot-checks; last: ${reason}`,
    });
    return bannedNow ? [providerId] : [];
  }

  private publish(t: { taskId: string; jobId: string; accountId: string }): void {
    this.events.publish({ type: 'task.updated', jobId: t.jobId, accountId: t.accountId, taskId: t.taskId });
    this.events.publish({ type: 'job.updated', jobId: t.jobId, accountId: t.accountId });
  }
}
