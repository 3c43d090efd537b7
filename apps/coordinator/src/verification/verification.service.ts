import { Inject, Injectable, Logger } from '@nestjs/common';
import { verifyMerkleProof } from '@tessera/crypto';
import type { ProofRequestMessage, TaskCompletedMessage, TaskProofMessage } from '@tessera/protocol';
import { checkRate, sampleSeed, shouldCheck, TaskSpec, WorkloadOutputError } from '@tessera/workloads';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { GatewayError } from '../scheduler/gateway-error';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { CheckPlanner, fromStored, toStored } from './check-planner.service';
import { decideRound } from './round-decision';
import { StoredRound, VerificationState } from './verification.entity';
import { VerificationOutcomes } from './verification-outcomes.service';
import { CheckRecordsRepository } from './check-records.repository';
import { VerificationContext, VerificationRepository } from './verification.repository';

/** A task as the completion path knows it. */
export interface CompletedTask extends TaskSpec {
  kind: string;
  items: number;
  role: 'work' | 'check';
}

/**
 * Spot-checks (DESIGN.md §5). After a provider completes a render or inference task with its
 * commitment, the task is checked with a probability that depends on the provider's record
 * (adaptive rate); the sample is drawn from HMAC(secret, attempt ‖ committed root), so it exists
 * only after the commitment and the provider can neither predict nor steer it. A checked task is
 * VERIFYING: the provider proves the sampled items against its root (Merkle audit paths), then a
 * different provider (another owner, or the trusted pool when none is online) re-executes the
 * samples as a check task through the normal scheduler, and the kind's comparator decides. The
 * rounds and their consequences are in round-decision.ts; the task is payable only once final.
 */
@Injectable()
export class VerificationService {
  private readonly logger = new Logger(VerificationService.name);

  constructor(
    private readonly repo: VerificationRepository,
    private readonly records: CheckRecordsRepository,
    private readonly workloads: WorkloadRegistry,
    private readonly planner: CheckPlanner,
    private readonly outcomes: VerificationOutcomes,
    @Inject(EVENT_BUS) private readonly events: EventBus,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** Whether completions of this task go through here (check tasks always; work of checkable kinds when on). */
  handles(task: { kind: string; role: string }): boolean {
    if (task.role === 'check') return true;
    return this.config.verification.enabled && this.workloads.get(task.kind).sampleCheck !== undefined;
  }

  /**
   * A completion of a task `handles()` accepted the outputs of. Returns `accept` when the work task
   * is not checked this time (the scheduler accepts it at once), `handled` otherwise (a check began,
   * or a check task's result was used); undefined when the attempt is not this provider's live one.
   */
  async completed(
    providerId: string,
    msg: TaskCompletedMessage,
    task: CompletedTask,
  ): Promise<'accept' | 'handled' | undefined> {
    if (task.role === 'check') return (await this.checkCompleted(providerId, msg)) ? 'handled' : undefined;
    const plugin = this.workloads.get(task.kind);
    const provider = await this.records.provider(providerId);
    if (!provider || !msg.commitment) return 'accept';
    const record = { cleanStreak: provider.cleanStreak, passed: provider.passed, failed: provider.failed };
    const seed = sampleSeed(this.config.verification.sampleSecret, msg.attemptId, msg.commitment.root);
    if (!shouldCheck(seed, record, this.config.verification.policy)) return 'accept';
    const samples = plugin.sampleCheck?.(task, task.items, seed) ?? [];
    if (samples.length === 0) return 'accept';
    const begun = await this.repo.begin({
      attemptId: msg.attemptId,
      providerId,
      outputs: msg.outputs,
      startedAt: new Date(msg.startedAt),
      finishedAt: new Date(msg.finishedAt),
      commitment: msg.commitment,
      samples: samples.map(toStored),
      proofDeadline: new Date(Date.now() + this.config.verification.proofTimeoutMs),
    });
    if (!begun) return undefined;
    this.logger.log({
      msg: 'spot-check drawn',
      attemptId: msg.attemptId,
      providerId,
      rate: checkRate(record, this.config.verification.policy),
      samples: samples.map((s) => s.key),
    });
    this.publish(begun);
    // Sent once the completion is acknowledged (events are delivered after this call returns).
    this.events.publish({ type: 'proof.request', providerId, ...this.proofRequest(msg.attemptId, samples) });
    return 'handled';
  }

  /** The proof requests still open for this provider (sent again when it reconnects). */
  async pendingProofRequests(providerId: string): Promise<ProofRequestMessage[]> {
    return (await this.repo.waitingForProof(providerId)).map((v) => ({
      type: 'proof.request',
      ...this.proofRequest(v.attemptId, v.samples, v.proofDeadline),
    }));
  }

  private proofRequest(
    attemptId: string,
    samples: readonly { item: number }[],
    deadline = new Date(Date.now() + this.config.verification.proofTimeoutMs),
  ): { attemptId: string; items: number[]; deadline: string } {
    return { attemptId, items: [...new Set(samples.map((s) => s.item))], deadline: deadline.toISOString() };
  }

  /**
   * The provider's answer to a proof request. Each sampled item's hash is computed here from the
   * stored output (never taken from the provider) and must be the leaf the audit path leads from to
   * the committed root, over the committed count. Then the first round of re-execution is queued.
   * Throws GatewayError when the proof fails (the check has then failed) or nothing waits for it.
   */
  async proofReceived(providerId: string, msg: TaskProofMessage): Promise<void> {
    const v = await this.repo.ofAttempt(msg.attemptId, providerId);
    if (!v) throw new GatewayError('NOT_LEASED', `no spot-check of attempt ${msg.attemptId} is yours`);
    if (v.state !== VerificationState.PROVING) return; // already proven (a repeated answer)
    const problem = await this.checkProofs(v, msg);
    if (problem) {
      await this.outcomes.conclude(v.id, VerificationState.FAILED, problem);
      throw new GatewayError('OUTPUT_INVALID', `spot-check failed: ${problem}`);
    }
    const plan = await this.planner.planRound(v, v.samples);
    const placement = await this.planner.placement(v, []);
    const queued = await this.repo.withLocked(v.id, async (tx, locked) => {
      if (locked.state !== VerificationState.PROVING) return false;
      await this.planner.addRound(tx, locked, v.samples, 'sample', 1, plan, placement);
      return true;
    });
    if (queued) this.events.publish({ type: 'work.queued', kind: v.task.kind });
  }

  /** Why the proofs do not hold, or undefined when every sampled item is proven. */
  private async checkProofs(v: VerificationContext, msg: TaskProofMessage): Promise<string | undefined> {
    const items = [...new Set(v.samples.map((s) => s.item))];
    if (msg.proofs.length === 0)
      return `PROOF_MISSING: the provider could not prove its commitment for items ${items.join(', ')}`;
    const byItem = new Map(msg.proofs.map((p) => [p.item, p]));
    const missing = items.filter((i) => !byItem.has(i));
    if (missing.length) return `PROOF_MISSING: no proof of items ${missing.join(', ')}`;
    if (!v.commitmentRoot || v.commitmentItems === null)
      return 'PROOF_MISSING: the attempt has no commitment';
    let hashes: string[];
    try {
      hashes = await this.planner.plugin(v).itemHashes!(v.task, v.outputs, items, (f, max) =>
        this.planner.read(f.sha256, max),
      );
    } catch (error) {
      if (!(error instanceof WorkloadOutputError)) throw error;
      return `OUTPUT_INVALID: ${error.message}`;
    }
    const root = Buffer.from(v.commitmentRoot, 'hex');
    for (const [i, item] of items.entries()) {
      const proof = byItem.get(item)!;
      if (proof.sha256 !== hashes[i]) {
        return `ROOT_MISMATCH: item ${item} (${v.samples.find((s) => s.item === item)?.key}) as uploaded hashes to ${hashes[i].slice(0, 16)}…, but the provider claims it committed to ${proof.sha256.slice(0, 16)}…`;
      }
      const path = proof.path.map((h) => Buffer.from(h, 'hex'));
      if (!verifyMerkleProof(root, Buffer.from(hashes[i], 'hex'), item, v.commitmentItems, path)) {
        return `ROOT_MISMATCH: the audit path of item ${item} does not lead to the committed root ${v.commitmentRoot.slice(0, 16)}… over ${v.commitmentItems} items`;
      }
    }
    return undefined;
  }

  /** A verifier finished a check task: compare, then decide the round. False when not its live attempt. */
  private async checkCompleted(providerId: string, msg: TaskCompletedMessage): Promise<boolean> {
    const done = await this.repo.completeCheck({
      attemptId: msg.attemptId,
      providerId,
      outputs: msg.outputs,
      startedAt: new Date(msg.startedAt),
      finishedAt: new Date(msg.finishedAt),
      commitment: msg.commitment,
    });
    if (!done) return false;
    this.events.publish({
      type: 'task.updated',
      jobId: done.jobId,
      accountId: done.accountId,
      taskId: done.checkTaskId,
    });
    const v = await this.repo.withLocked(done.verificationId, async (_tx, locked) => locked);
    if (!v || v.state !== VerificationState.CHECKING) return true;
    const round = v.rounds.find((r) => r.checkTaskId === done.checkTaskId);
    if (!round || round !== v.rounds[v.rounds.length - 1]) return true; // an outdated round
    const samples = round.samples.map(fromStored);
    const outcome = await this.planner.plugin(v).compareCheck!(
      v.task,
      v.outputs,
      samples,
      msg.outputs,
      (f, max) => this.planner.read(f.sha256, max),
      this.config.verification.thresholds,
    );
    // A confirm round's verifier must have re-executed the samples exactly as the previous one.
    const previous = round.purpose === 'confirm' ? v.rounds[v.rounds.length - 2] : undefined;
    const decision = decideRound({
      purpose: round.purpose,
      verdict: outcome.verdict,
      rounds: v.rounds.length,
      maxRounds: this.config.verification.maxRounds,
      verifiersAgree: previous ? previous.commitmentRoot === msg.commitment?.root : undefined,
    });
    // Fresh samples for a next round are planned before the lock (planning may store a blob).
    const resample =
      decision.next === 'resample'
        ? this.planner.sample(v, v.rounds.length + 1)
        : decision.next === 'confirm'
          ? samples
          : undefined;
    const plan = resample ? await this.planner.planRound(v, resample.map(toStored)) : undefined;
    // A confirmation must come from yet another owner than every verifier before it.
    const placement = resample
      ? await this.planner.placement(v, [...v.rounds.map((r) => r.verifierProviderId), providerId])
      : undefined;
    const finished: StoredRound = {
      ...round,
      verifierProviderId: providerId,
      attemptId: msg.attemptId,
      commitmentRoot: msg.commitment?.root,
      verdict: outcome.verdict,
      reason: outcome.reason,
      comparisons: outcome.samples.map((s) => ({
        key: s.key,
        verdict: s.verdict,
        reason: s.reason,
        psnr: s.psnr === undefined || s.psnr === null || !Number.isFinite(s.psnr) ? null : s.psnr,
        ssim: s.ssim ?? null,
        identical: s.psnr === Infinity,
      })),
      finishedAt: new Date().toISOString(),
    };
    this.logger.log({
      msg: 'spot-check round',
      verificationId: v.id,
      round: finished.round,
      verdict: outcome.verdict,
      next: decision.next,
      reason: outcome.reason,
    });
    await this.repo.withLocked(v.id, async (tx, locked) => {
      if (locked.state !== VerificationState.CHECKING) return;
      const rounds = locked.rounds.map((r) => (r.checkTaskId === finished.checkTaskId ? finished : r));
      await this.repo.saveRounds(tx, v.id, rounds);
      locked.rounds = rounds;
      if (resample && plan && placement) {
        const purpose = decision.next === 'confirm' ? 'confirm' : 'sample';
        await this.planner.addRound(
          tx,
          locked,
          resample.map(toStored),
          purpose,
          rounds.length + 1,
          plan,
          placement,
        );
      }
    });
    if (decision.next === 'confirm' || decision.next === 'resample') {
      this.events.publish({ type: 'work.queued', kind: v.task.kind });
      return true;
    }
    if (decision.next === 'pass') {
      await this.outcomes.conclude(v.id, VerificationState.PASSED, outcome.reason, {
        blame: decision.blamePreviousVerifier ? v.rounds[v.rounds.length - 2]?.verifierProviderId : undefined,
      });
    } else if (decision.next === 'fail') {
      await this.outcomes.conclude(
        v.id,
        VerificationState.FAILED,
        `${v.rounds.length} verifiers agree: ${outcome.reason}`,
      );
    } else {
      await this.outcomes.conclude(
        v.id,
        VerificationState.UNRESOLVED,
        `${decision.why}; last: ${outcome.reason}`,
      );
    }
    return true;
  }

  /** A check task used up its attempts without a result: the verification cannot conclude. */
  async checkTaskGaveUp(verificationId: string, reason: string): Promise<void> {
    await this.outcomes.conclude(
      verificationId,
      VerificationState.UNRESOLVED,
      `the check could not run: ${reason}`,
    );
  }

  /** Fails every verification whose provider did not prove its samples in time. */
  async failOverdueProofs(): Promise<number> {
    let failed = 0;
    for (const id of await this.repo.overdueProofs(100)) {
      const ended = await this.outcomes.conclude(
        id,
        VerificationState.FAILED,
        `PROOF_MISSING: no proof of the sampled items within ${this.config.verification.proofTimeoutMs / 1000} s`,
        { onlyFrom: VerificationState.PROVING },
      );
      if (ended) failed++;
    }
    return failed;
  }

  /**
   * Accepts, unverified, the tasks whose check nobody could take within the configured wait (every
   * other provider offline, excluded or blocked, and no trusted pool): a fleet too small to check
   * itself still finishes its jobs, and the customer sees why the check is UNRESOLVED.
   */
  async giveUpStalledChecks(): Promise<number> {
    const waitMs = this.config.verification.checkWaitMs;
    let ended = 0;
    for (const id of await this.repo.stalledChecks(waitMs, 100)) {
      const done = await this.outcomes.conclude(
        id,
        VerificationState.UNRESOLVED,
        `accepted unverified: no eligible provider took its spot-check within ${waitMs / 1000} s`,
        { onlyFrom: VerificationState.CHECKING, acceptUnverified: true },
      );
      if (done) ended++;
    }
    return ended;
  }

  private publish(t: { taskId: string; jobId: string; accountId: string }): void {
    this.events.publish({ type: 'task.updated', jobId: t.jobId, accountId: t.accountId, taskId: t.taskId });
    this.events.publish({ type: 'job.updated', jobId: t.jobId, accountId: t.accountId });
  }
}
