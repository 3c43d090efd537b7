import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { verifyMerkleProof } from '@tessera/crypto';
import type { ProofRequestMessage, TaskCompletedMessage, TaskProofMessage } from '@tessera/protocol';
import {
  checkRate,
  CheckSample,
  sampleSeed,
  shouldCheck,
  TaskSpec,
  WorkloadOutputError,
  WorkloadPlugin,
} from '@tessera/workloads';
import { EntityManager } from 'typeorm';
import { BLOB_STORE, BlobStore } from '../blobs/blob-store';
import { BlobsService } from '../blobs/blobs.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { JobCompletionService } from '../jobs/job-completion.service';
import { GatewayError } from '../scheduler/gateway-error';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { decideRound } from './round-decision';
import { SETTLEMENT_HOOKS, SettlementHooks } from './settlement-hooks';
import { StoredRound, StoredSample, VerificationState } from './verification.entity';
import {
  ProviderCheckRow,
  Touched,
  VerificationContext,
  VerificationRepository,
} from './verification.repository';

/** Check tasks go before ordinary work: a checked task's customer and provider are waiting on them. */
const CHECK_PRIORITY_BOOST = 10;

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
    private readonly workloads: WorkloadRegistry,
    private readonly blobs: BlobsService,
    private readonly completion: JobCompletionService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(EVENT_BUS) private readonly events: EventBus,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    @Inject(SETTLEMENT_HOOKS) private readonly settlement: SettlementHooks,
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
    const provider = await this.repo.provider(providerId);
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
      await this.conclude(v.id, VerificationState.FAILED, problem);
      throw new GatewayError('OUTPUT_INVALID', `spot-check failed: ${problem}`);
    }
    const plan = await this.planRound(v, v.samples);
    const placement = await this.placement(v, []);
    const queued = await this.repo.withLocked(v.id, async (tx, locked) => {
      if (locked.state !== VerificationState.PROVING) return false;
      await this.addRound(tx, locked, v.samples, 'sample', 1, plan, placement);
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
      hashes = await this.plugin(v).itemHashes!(v.task, v.outputs, items, (f, max) =>
        this.read(f.sha256, max),
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
    const outcome = await this.plugin(v).compareCheck!(
      v.task,
      v.outputs,
      samples,
      msg.outputs,
      (f, max) => this.read(f.sha256, max),
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
        ? this.sample(v, v.rounds.length + 1)
        : decision.next === 'confirm'
          ? samples
          : undefined;
    const plan = resample ? await this.planRound(v, resample.map(toStored)) : undefined;
    // A confirmation must come from yet another owner than every verifier before it.
    const placement = resample
      ? await this.placement(v, [...v.rounds.map((r) => r.verifierProviderId), providerId])
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
        await this.addRound(tx, locked, resample.map(toStored), purpose, rounds.length + 1, plan, placement);
      }
    });
    if (decision.next === 'confirm' || decision.next === 'resample') {
      this.events.publish({ type: 'work.queued', kind: v.task.kind });
      return true;
    }
    if (decision.next === 'pass') {
      await this.conclude(v.id, VerificationState.PASSED, outcome.reason, {
        blame: decision.blamePreviousVerifier ? v.rounds[v.rounds.length - 2]?.verifierProviderId : undefined,
      });
    } else if (decision.next === 'fail') {
      await this.conclude(
        v.id,
        VerificationState.FAILED,
        `${v.rounds.length} verifiers agree: ${outcome.reason}`,
      );
    } else {
      await this.conclude(v.id, VerificationState.UNRESOLVED, `${decision.why}; last: ${outcome.reason}`);
    }
    return true;
  }

  /** A check task used up its attempts without a result: the verification cannot conclude. */
  async checkTaskGaveUp(verificationId: string, reason: string): Promise<void> {
    await this.conclude(verificationId, VerificationState.UNRESOLVED, `the check could not run: ${reason}`);
  }

  /** Fails every verification whose provider did not prove its samples in time. */
  async failOverdueProofs(): Promise<number> {
    let failed = 0;
    for (const id of await this.repo.overdueProofs(100)) {
      const ended = await this.conclude(
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
      const done = await this.conclude(
        id,
        VerificationState.UNRESOLVED,
        `accepted unverified: no eligible provider took its spot-check within ${waitMs / 1000} s`,
        { onlyFrom: VerificationState.CHECKING, acceptUnverified: true },
      );
      if (done) ended++;
    }
    return ended;
  }

  /**
   * Ends a verification and applies its consequences in one transaction: PASSED accepts the task
   * (and may blame a verifier that disagreed); FAILED rejects the attempt, re-queues the task for
   * someone else, keeps the provider off this job, counts a failed check (banning at the limit);
   * UNRESOLVED re-queues the task without blame, or, if an earlier check of it was unresolved too,
   * accepts it unverified (so nondeterministic work cannot loop forever).
   */
  private async conclude(
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
        await this.repo.recordCheck(tx, v.providerId, true, { after: policy.banAfterFailures, reason });
        if (opts.blame)
          banned = await this.fail(
            tx,
            opts.blame,
            `its spot-check of task ${v.task.index} disagreed with the provider and a second verifier`,
          );
      } else if (state === VerificationState.FAILED) {
        await this.repo.rejectAttempt(tx, v, 'CHECK_FAILED', reason);
        await this.repo.blockFromJob(
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
    return true;
  }

  /** Counts a failed check against a provider; returns it when that banned it. */
  private async fail(tx: EntityManager, providerId: string, reason: string): Promise<string[]> {
    const { bannedNow } = await this.repo.recordCheck(tx, providerId, false, {
      after: this.config.verification.policy.banAfterFailures,
      reason: `banned after ${this.config.verification.policy.banAfterFailures} failed spot-checks; last: ${reason}`,
    });
    return bannedNow ? [providerId] : [];
  }

  /**
   * Who may not run the next check (the checked provider, `verifiers` before it, and their owners)
   * and from when the trusted pool may take it: at once when no eligible provider is online. Read
   * before the verification is locked (the embedded database has a single connection).
   */
  private async placement(
    v: VerificationContext,
    verifiers: (string | undefined)[],
  ): Promise<{ exclude: string[]; poolAfter: Date }> {
    const exclude: string[] = [];
    for (const id of [v.providerId, ...verifiers]) {
      if (!id) continue;
      const p = await this.repo.provider(id);
      exclude.push(id, ...(p ? [p.owner, p.address] : []));
    }
    const unique = [...new Set(exclude)];
    const { trustedVerifiers, poolDelayMs } = this.config.verification;
    const eligible = await this.repo.eligibleVerifiers(
      v.task.kind,
      unique,
      this.config.scheduler.heartbeatIntervalMs * 3,
      trustedVerifiers,
    );
    return { exclude: unique, poolAfter: new Date(Date.now() + (eligible > 0 ? poolDelayMs : 0)) };
  }

  private async addRound(
    tx: EntityManager,
    v: VerificationContext,
    samples: StoredSample[],
    purpose: 'sample' | 'confirm',
    round: number,
    plan: Awaited<ReturnType<VerificationService['planRound']>>,
    placement: { exclude: string[]; poolAfter: Date },
  ): Promise<void> {
    await this.repo.addRound(
      tx,
      v,
      plan,
      { round, purpose, samples, startedAt: new Date().toISOString() },
      {
        priority: v.task.priority + CHECK_PRIORITY_BOOST,
        maxAttempts: v.task.maxAttempts,
        exclude: placement.exclude,
        poolAfter: placement.poolAfter,
      },
    );
  }

  /** The check task that re-executes `samples`, on the checked provider's kind of device. */
  private async planRound(v: VerificationContext, samples: StoredSample[]) {
    const provider = (await this.repo.provider(v.providerId)) as ProviderCheckRow;
    const c = provider.capabilities;
    return this.plugin(v).checkTask!(v.task, samples.map(fromStored), {
      provider: {
        cpuCores: c.cpu.cores,
        memoryBytes: c.memoryBytes,
        gpus: c.gpus,
        images: c.images,
        slots: c.slots,
      },
      readBlob: (sha256) => this.read(sha256),
      storeBlob: (data) => this.blobs.storeForAccount(v.accountId, data),
    });
  }

  /** Fresh samples for round `round` (> 1), from the first round's seed. */
  private sample(v: VerificationContext, round: number): CheckSample[] {
    const first = sampleSeed(this.config.verification.sampleSecret, v.attemptId, v.commitmentRoot ?? '');
    const seed = createHash('sha256').update(first).update(`round-${round}`).digest();
    return this.plugin(v).sampleCheck?.(v.task, v.task.items, seed) ?? v.samples.map(fromStored);
  }

  private plugin(v: VerificationContext): WorkloadPlugin {
    return this.workloads.get(v.task.kind);
  }

  private async read(sha256: string, maxBytes = Infinity): Promise<Buffer> {
    const stream = await this.store.read(sha256);
    if (!stream) throw new WorkloadOutputError(`blob ${sha256} is not in the blob store`);
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= maxBytes) break;
    }
    return Buffer.concat(chunks).subarray(0, Math.min(length, maxBytes));
  }

  private publish(t: { taskId: string; jobId: string; accountId: string }): void {
    this.events.publish({ type: 'task.updated', jobId: t.jobId, accountId: t.accountId, taskId: t.taskId });
    this.events.publish({ type: 'job.updated', jobId: t.jobId, accountId: t.accountId });
  }
}

function toStored(s: CheckSample): StoredSample {
  return s.region ? { item: s.item, key: s.key, region: s.region } : { item: s.item, key: s.key };
}

function fromStored(s: StoredSample): CheckSample {
  return s;
}
