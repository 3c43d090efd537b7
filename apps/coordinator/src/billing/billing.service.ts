import { Inject, Injectable, Logger } from '@nestjs/common';
import { Actor, requireAccount } from '../auth/actor';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { formatTsr, parseTsr, UNITS_PER_TSR } from '../ledger/amount';
import { ledgerAccount } from '../ledger/ledger-account';
import { LedgerService } from '../ledger/ledger.service';
import type { SettlementHooks } from '../verification/settlement-hooks';
import { BillingRepository, JobPrice } from './billing.repository';
import type { LedgerEntryDto } from './dtos/billing.dto';

/** Tokens (a float estimate) in base units, rounded up: a reservation covers the estimate. */
export function unitsOf(tokens: number): bigint {
  return BigInt(Math.ceil(Math.max(0, tokens) * Number(UNITS_PER_TSR) - 1e-9));
}

/**
 * Where jobs meet the ledger (DESIGN.md §6). A priced job reserves its cap (the customer's
 * maxPrice, or the estimate at the market price) when submitted; each task whose result is final
 * and accepted moves its share of the estimate (its items over the job's) from the escrow to its
 * provider's earnings less the platform fee, and tops up the provider's bond from it; a spot-check
 * that rejects an attempt slashes the provider's bond; whatever is left in escrow goes back to the
 * customer when the job ends. Every step is one idempotent ledger posting keyed by the job, task
 * or attempt, and a sweeper redoes any that a crash interrupted (BillingSweeperService), so money
 * moves exactly once.
 */
@Injectable()
export class BillingService implements SettlementHooks {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    private readonly ledger: LedgerService,
    private readonly repo: BillingRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** What a job will reserve: the cap in base units (0 for kinds without a price). */
  capOf(params: { estimatedCost?: unknown; maxPrice?: unknown }): bigint {
    if (typeof params.maxPrice === 'string') return parseTsr(params.maxPrice, 'maxPrice');
    return typeof params.estimatedCost === 'number' ? unitsOf(params.estimatedCost) : 0n;
  }

  /**
   * Reserves the job's cap from the customer's balance before the job exists (the job is created
   * with this id only if this succeeded). INSUFFICIENT_FUNDS says the shortfall and how to deposit.
   */
  async reserve(jobId: string, accountId: string, cap: bigint): Promise<void> {
    if (cap <= 0n) return;
    await this.ledger.reserve(jobId, accountId, cap).catch((error: unknown) => {
      if (error instanceof Error && (error as { code?: string }).code === 'INSUFFICIENT_FUNDS') {
        (error as Error).message +=
          ` — the job's price cap is ${formatTsr(cap)} ${this.config.market.currency}; deposit with \`tessera deposit <amount>\``;
      }
      throw error;
    });
  }

  /** The signup credit of a new account (local development clusters only; 0 elsewhere). */
  async signupCredit(accountId: string): Promise<void> {
    const credit = this.config.billing.signupCredit;
    if (credit <= 0n) return;
    await this.ledger.adjust(`signup:${accountId}`, 'signup credit (local cluster)', [
      { account: ledgerAccount.treasury(), amount: -credit },
      { account: ledgerAccount.customerAvailable(accountId), amount: credit },
    ]);
  }

  /** SettlementHooks: a task's result is final and accepted. */
  async taskAccepted(event: { jobId: string; taskId: string }): Promise<void> {
    await this.capture(event.jobId, event.taskId).catch((error: unknown) =>
      // The sweeper captures it later; the acceptance itself stands.
      this.logger.error({
        msg: 'could not charge an accepted task (the sweeper retries)',
        ...event,
        err: error,
      }),
    );
  }

  /**
   * SettlementHooks: a verifier re-executed a check; it earns that share of the checked task's
   * price from the platform's fees, as far as the fees collected so far cover it (the rest of it
   * goes unpaid, logged): the platform pays for verification out of what it earns.
   */
  async checkRun(event: {
    jobId: string;
    checkTaskId: string;
    checkedTaskId: string;
    verifierProviderId: string;
    share: number;
  }): Promise<void> {
    const job = await this.repo.jobPrice(event.jobId);
    const items = await this.repo.taskItems(event.checkedTaskId);
    const price = job && items !== undefined ? this.taskPrice(job, items) : 0n;
    const share = Math.max(0, Math.min(1, event.share));
    const due = (price * BigInt(Math.round(share * 1_000_000))) / 1_000_000n;
    const fees = await this.ledger.balance(ledgerAccount.platformFees());
    const pay = due < fees ? due : fees;
    if (due > pay)
      this.logger.warn({
        msg: 'spot-check paid in part: the fees do not cover it',
        ...event,
        due: formatTsr(due),
        paid: formatTsr(pay),
      });
    if (pay <= 0n) return;
    await this.ledger.payVerifier(event.checkTaskId, event.verifierProviderId, pay).catch((error: unknown) =>
      this.logger.warn({
        msg: 'spot-check unpaid',
        ...event,
        amount: formatTsr(pay),
        reason: (error as Error).message,
      }),
    );
  }

  /** SettlementHooks: a spot-check rejected an attempt: no pay (nothing was captured), bond slashed. */
  async attemptRejected(event: { attemptId: string; providerId: string; reason: string }): Promise<void> {
    const bond = this.config.billing.providerBond;
    if (bond <= 0n) return;
    const slashed = await this.ledger.slashBond(
      event.providerId,
      bond,
      event.reason.slice(0, 400),
      event.attemptId,
    );
    this.logger.warn({
      msg: 'bond slashed',
      providerId: event.providerId,
      attemptId: event.attemptId,
      entries: slashed.entries.length,
    });
  }

  /** Charges one accepted task (at most once) and keeps the provider's bond topped up from it. */
  async capture(jobId: string, taskId: string): Promise<void> {
    const job = await this.repo.jobPrice(jobId);
    const task = await this.repo.acceptedTask(taskId);
    const price = job && task ? this.taskPrice(job, task.items) : 0n;
    if (!job || !task || price <= 0n) return;
    // The bond is topped up from this task's earnings in the same posting, so a payout running in
    // between cannot take them first. Its balance is read before the posting: concurrent captures
    // of one provider may overshoot the target by a task's earnings, never undershoot it.
    const target = this.config.billing.providerBond;
    const held = target > 0n ? await this.ledger.balance(ledgerAccount.providerBond(task.providerId)) : 0n;
    await this.ledger.captureTask(
      jobId,
      taskId,
      task.providerId,
      price,
      this.config.billing.feeBps,
      target > held ? target - held : 0n,
    );
  }

  /** A task's share of the job's estimate, in base units (rounded down; the rest is refunded). */
  taskPrice(job: JobPrice, items: number): bigint {
    if (job.estimatedCost === null || job.itemsTotal <= 0) return 0n;
    return (unitsOf(job.estimatedCost) * BigInt(items)) / BigInt(job.itemsTotal);
  }

  /**
   * A job ended (completed, failed or cancelled): charge any accepted task not charged yet, then
   * refund what is left in its escrow. Idempotent.
   */
  async jobEnded(jobId: string): Promise<void> {
    for (const t of await this.repo.uncaptured(jobId, 100_000)) await this.capture(t.jobId, t.taskId);
    const refund = await this.ledger.refundRemainder(jobId);
    if (refund && !refund.replayed && refund.entries.length)
      this.logger.log({
        msg: 'escrow refunded',
        jobId,
        amount: formatTsr(
          refund.entries[0].amount < 0n ? -refund.entries[0].amount : refund.entries[0].amount,
        ),
      });
  }

  /** Settles what crashes left behind; returns how many postings it made. */
  async reconcile(): Promise<number> {
    let done = 0;
    for (const t of await this.repo.uncaptured(null, 500)) {
      await this.capture(t.jobId, t.taskId);
      done++;
    }
    for (const jobId of await this.repo.unrefunded(500)) {
      await this.jobEnded(jobId);
      done++;
    }
    return done;
  }

  /** The customer's money, as decimal token strings. */
  async balanceOf(actor: Actor): Promise<{ available: string; reserved: string; currency: string }> {
    const accountId = requireAccount(actor);
    const b = await this.ledger.customerBalances(actor, accountId);
    return {
      available: formatTsr(b.available),
      reserved: formatTsr(b.escrow),
      currency: this.config.market.currency,
    };
  }

  /** The customer's ledger entries, newest first. */
  async entriesOf(
    actor: Actor,
    page: { limit?: number; before?: string },
  ): Promise<{ items: LedgerEntryDto[]; nextCursor: string | null }> {
    const accountId = requireAccount(actor);
    const result = await this.ledger.entriesOf(actor, { kind: 'account', accountId }, page);
    return {
      nextCursor: result.nextCursor,
      items: result.items.map((e) => ({
        id: e.id,
        kind: e.kind,
        account: e.type === 'job_escrow' ? 'escrow' : 'available',
        amount: formatTsr(e.amount),
        currency: this.config.market.currency,
        jobId: e.jobId ?? e.refs.jobId ?? null,
        taskId: e.refs.taskId ?? null,
        signature: e.refs.chainSignature ?? null,
        memo: e.memo,
        createdAt: e.createdAt,
      })),
    };
  }

  /** What a job has cost so far (its owner's read: the resolver is reached only through the job). */
  async costOf(
    jobId: string,
  ): Promise<{ reserved: string; charged: string; refunded: string; currency: string }> {
    const m = await this.repo.jobMoney(jobId);
    return {
      reserved: formatTsr(m.reserved),
      charged: formatTsr(m.charged),
      refunded: formatTsr(m.refunded),
      currency: this.config.market.currency,
    };
  }
}
