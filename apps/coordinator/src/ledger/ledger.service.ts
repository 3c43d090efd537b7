import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { AppError } from '../common/app-error';
import { requirePositive } from './amount';
import {
  CUSTOMER_ACCOUNT_TYPES,
  jobEscrowName,
  ledgerAccount,
  LedgerAccountRef,
  LedgerAccountType,
  PROVIDER_ACCOUNT_TYPES,
} from './ledger-account';
import { JournalKind } from './ledger-journal.entity';
import { LedgerRepository } from './ledger.repository';
import { InvariantReport, LedgerEntryRow, NewEntry, PostedJournal } from './ledger.types';
import { InsufficientFundsError } from './ledger.exception';

export interface CustomerBalances {
  available: bigint;
  /** Reserved for jobs that have not ended, in total and per job (empty escrows left out). */
  escrow: bigint;
  escrows: { jobId: string; balance: bigint }[];
}

export interface ProviderBalances {
  earnings: bigint;
  bond: bigint;
  payoutsInFlight: bigint;
}

/** Whose history to read: a customer account or a provider. */
export type LedgerOwner = { kind: 'account'; accountId: string } | { kind: 'provider'; providerId: string };

export interface EntryPage {
  items: LedgerEntryRow[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  nextCursor: string | null;
}

/** Where a provider's bond comes from: tokens it sent to the treasury, or earnings it leaves staked. */
export type BondSource = { kind: 'deposit'; signature: string } | { kind: 'earnings'; key: string };

export const MAX_FEE_BPS = 10_000;

/**
 * The money verbs of Tessera, each exactly one `post()` with a deterministic idempotency key, so a
 * call retried after a crash (or raced by a second replica) moves money once; a retry returns the
 * original journal with `replayed: true`.
 *
 * The posting verbs take no actor: they are bookkeeping beneath other services and workers (jobs,
 * deposit watcher, verification, payout worker), which authorize the action first and pass the
 * business ids. The owner reads take the actor and check it, as edge-facing reads will call them.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly ledger: LedgerRepository) {}

  /** A verified on-chain deposit: treasury → the customer's available balance, once per signature. */
  async creditDeposit(accountId: string, amount: bigint, signature: string): Promise<PostedJournal> {
    return this.ledger.post({
      idempotencyKey: `deposit:${signature}`,
      kind: JournalKind.DEPOSIT,
      refs: { accountId, chainSignature: signature },
      entries: transfer(ledgerAccount.treasury(), ledgerAccount.customerAvailable(accountId), amount),
    });
  }

  /**
   * Reserves a job's price cap: available → the job's escrow, once per job. INSUFFICIENT_FUNDS
   * (with the shortfall) when the available balance is too low; nothing is reserved then.
   */
  async reserve(jobId: string, accountId: string, amount: bigint): Promise<PostedJournal> {
    return this.ledger.post({
      idempotencyKey: `reserve:${jobId}`,
      kind: JournalKind.ESCROW_RESERVE,
      refs: { jobId, accountId },
      entries: transfer(
        ledgerAccount.customerAvailable(accountId),
        ledgerAccount.jobEscrow(jobId, accountId),
        amount,
      ),
    });
  }

  /**
   * Pays for an accepted task, at most once per task: `price` leaves the job's escrow, the platform
   * keeps `feeBps` basis points of it (rounded down to a base unit: the remainder goes to the
   * provider) and the provider earns the rest, of which `bondTopUp` (at most all of it) goes to its
   * bond in the same posting, so no payout can take earnings in between. Refused when the escrow
   * holds less than `price` (e.g. after the job's remainder was refunded).
   */
  async captureTask(
    jobId: string,
    taskId: string,
    providerId: string,
    price: bigint,
    feeBps: number,
    bondTopUp = 0n,
  ): Promise<PostedJournal> {
    requirePositive(price, 'price');
    if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > MAX_FEE_BPS) {
      throw new AppError('BAD_INPUT', `feeBps must be an integer from 0 to ${MAX_FEE_BPS}, got ${feeBps}`);
    }
    const escrow = await this.escrowOf(jobId);
    if (!escrow) throw new InsufficientFundsError(jobEscrowName(jobId), 0n, price);
    const fee = (price * BigInt(feeBps)) / BigInt(MAX_FEE_BPS);
    const earned = price - fee;
    const bond = bondTopUp < 0n ? 0n : bondTopUp > earned ? earned : bondTopUp;
    const entries: NewEntry[] = [
      { account: escrow, amount: -price },
      { account: ledgerAccount.providerEarnings(providerId), amount: earned - bond },
      { account: ledgerAccount.providerBond(providerId), amount: bond },
      { account: ledgerAccount.platformFees(), amount: fee },
    ].filter((e) => e.amount !== 0n);
    return this.ledger.post({
      idempotencyKey: `capture:${taskId}`,
      kind: JournalKind.TASK_CAPTURE,
      refs: { jobId, taskId, providerId },
      entries,
    });
  }

  /**
   * Returns whatever is left in the job's escrow to the customer's available balance, once per
   * job: call it when the job ends or is cancelled. Captures after it find an empty escrow and are
   * refused. Undefined when the job never reserved anything.
   */
  async refundRemainder(jobId: string): Promise<PostedJournal | undefined> {
    const escrow = await this.escrowOf(jobId);
    if (!escrow) return undefined;
    const customer = escrow.ownerId as string;
    return this.ledger.post({
      idempotencyKey: `refund:${jobId}`,
      kind: JournalKind.ESCROW_REFUND,
      refs: { jobId, accountId: customer },
      entries: [],
      sweep: { from: escrow, to: ledgerAccount.customerAvailable(customer) },
    });
  }

  /** Adds to a provider's bond, from an on-chain transfer (once per signature) or from its earnings. */
  async holdBond(providerId: string, amount: bigint, source: BondSource): Promise<PostedJournal> {
    const bond = ledgerAccount.providerBond(providerId);
    return this.ledger.post(
      source.kind === 'deposit'
        ? {
            idempotencyKey: `bond:deposit:${source.signature}`,
            kind: JournalKind.BOND_HOLD,
            refs: { providerId, chainSignature: source.signature },
            entries: transfer(ledgerAccount.treasury(), bond, amount),
          }
        : {
            idempotencyKey: `bond:hold:${providerId}:${source.key}`,
            kind: JournalKind.BOND_HOLD,
            refs: { providerId },
            entries: transfer(ledgerAccount.providerEarnings(providerId), bond, amount),
          },
    );
  }

  /**
   * Slashes up to `amount` of a provider's bond to the platform: what is there if the bond holds
   * less (never below zero). `key` names the offence (e.g. the failed check's id), so it is slashed
   * once however often the verdict is delivered.
   */
  async slashBond(providerId: string, amount: bigint, reason: string, key: string): Promise<PostedJournal> {
    return this.ledger.post({
      idempotencyKey: `slash:${key}`,
      kind: JournalKind.BOND_SLASH,
      refs: { providerId },
      memo: reason,
      entries: [],
      sweep: {
        from: ledgerAccount.providerBond(providerId),
        to: ledgerAccount.platformSlashed(),
        max: requirePositive(amount),
      },
    });
  }

  /** Records a payout intent before anything is sent: earnings → the provider's payouts in flight. */
  async beginPayout(intentId: string, providerId: string, amount: bigint): Promise<PostedJournal> {
    return this.ledger.post({
      idempotencyKey: `payout:begin:${intentId}`,
      kind: JournalKind.PAYOUT_BEGIN,
      refs: { providerId, payoutIntentId: intentId },
      entries: transfer(
        ledgerAccount.providerEarnings(providerId),
        ledgerAccount.providerPayoutsInFlight(providerId),
        amount,
      ),
    });
  }

  /**
   * The transfer is confirmed on chain: in flight → treasury. Completing and cancelling share one
   * key (`payout:end:<intent>`), so an intent ends exactly once; the other verb is then refused
   * with IDEMPOTENCY_CONFLICT.
   */
  async completePayout(intentId: string, signature: string): Promise<PostedJournal> {
    return this.endPayout(intentId, JournalKind.PAYOUT_COMPLETE, signature);
  }

  /** The transfer will never happen (expired blockhash, never landed): back to the provider's earnings. */
  async cancelPayout(intentId: string): Promise<PostedJournal> {
    return this.endPayout(intentId, JournalKind.PAYOUT_CANCEL);
  }

  /**
   * Pays a verifier for a spot-check it re-executed, from the platform's fees, once per check task.
   * INSUFFICIENT_FUNDS when the fees collected so far do not cover it (the check is then unpaid).
   */
  async payVerifier(checkTaskId: string, providerId: string, amount: bigint): Promise<PostedJournal> {
    return this.ledger.post({
      idempotencyKey: `check:${checkTaskId}`,
      kind: JournalKind.CHECK_PAY,
      refs: { taskId: checkTaskId, providerId },
      entries: transfer(
        ledgerAccount.platformFees(),
        ledgerAccount.providerEarnings(providerId),
        requirePositive(amount),
      ),
    });
  }

  /** An operator's correction; `entries` must balance, `memo` says why. */
  async adjust(key: string, memo: string, entries: NewEntry[]): Promise<PostedJournal> {
    return this.ledger.post({ idempotencyKey: `adjust:${key}`, kind: JournalKind.ADJUSTMENT, memo, entries });
  }

  // Reads ---------------------------------------------------------------------------------------------

  /** One account's balance (0 if never used). For workers and operators. */
  async balance(account: LedgerAccountRef): Promise<bigint> {
    return this.ledger.balance(account.name);
  }

  async customerBalances(actor: Actor, accountId: string): Promise<CustomerBalances> {
    authorizeOwner(actor, { kind: 'account', accountId });
    const rows = await this.ledger.accountsOfOwner(accountId, CUSTOMER_ACCOUNT_TYPES);
    const escrows = rows
      .filter((r) => r.type === LedgerAccountType.JOB_ESCROW)
      .map((r) => ({ jobId: r.jobId as string, balance: r.balance }));
    return {
      available: rows.find((r) => r.type === LedgerAccountType.CUSTOMER_AVAILABLE)?.balance ?? 0n,
      escrow: escrows.reduce((sum, e) => sum + e.balance, 0n),
      escrows,
    };
  }

  async providerBalances(actor: Actor, providerId: string): Promise<ProviderBalances> {
    authorizeOwner(actor, { kind: 'provider', providerId });
    const rows = await this.ledger.accountsOfOwner(providerId, PROVIDER_ACCOUNT_TYPES);
    const of = (type: LedgerAccountType) => rows.find((r) => r.type === type)?.balance ?? 0n;
    return {
      earnings: of(LedgerAccountType.PROVIDER_EARNINGS),
      bond: of(LedgerAccountType.PROVIDER_BOND),
      payoutsInFlight: of(LedgerAccountType.PROVIDER_PAYOUTS_IN_FLIGHT),
    };
  }

  /** What each provider has earned by re-executing spot checks, in total (public, like payouts). */
  async checkPayTotals(providerIds: readonly string[]): Promise<Map<string, bigint>> {
    return this.ledger.creditedByKind(
      providerIds,
      LedgerAccountType.PROVIDER_EARNINGS,
      JournalKind.CHECK_PAY,
    );
  }

  /** An owner's entries, newest first, `limit` (1 to 500) per page. */
  async entriesOf(
    actor: Actor,
    owner: LedgerOwner,
    page: { limit?: number; before?: string } = {},
  ): Promise<EntryPage> {
    authorizeOwner(actor, owner);
    const limit = page.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new AppError('BAD_INPUT', `limit must be from 1 to 500, got ${limit}`, 'limit');
    }
    if (page.before !== undefined && !/^\d{1,19}$/.test(page.before)) {
      throw new AppError('BAD_INPUT', `before must be a cursor from an earlier page`, 'before');
    }
    const [ownerId, types] =
      owner.kind === 'account'
        ? [owner.accountId, CUSTOMER_ACCOUNT_TYPES]
        : [owner.providerId, PROVIDER_ACCOUNT_TYPES];
    // One row more than asked tells whether another page exists.
    const rows = await this.ledger.entriesOfOwner(ownerId, types, {
      limit: limit + 1,
      beforeId: page.before,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /** Whether the books balance (see LedgerRepository.checkInvariant); for operators and monitoring. */
  async checkInvariant(): Promise<InvariantReport> {
    return this.ledger.checkInvariant();
  }

  /**
   * The job's escrow account, undefined if the job never reserved. It is created by `reserve` with
   * its customer as owner and never changes owner, so reading it before the posting is safe.
   */
  private async escrowOf(jobId: string): Promise<LedgerAccountRef | undefined> {
    const row = await this.ledger.findAccount(jobEscrowName(jobId));
    return row?.ownerId ? ledgerAccount.jobEscrow(jobId, row.ownerId) : undefined;
  }

  private async endPayout(
    intentId: string,
    kind: JournalKind.PAYOUT_COMPLETE | JournalKind.PAYOUT_CANCEL,
    signature?: string,
  ): Promise<PostedJournal> {
    const begun = await this.ledger.findJournal(`payout:begin:${intentId}`);
    const providerId = begun?.refs.providerId;
    const amount = begun?.entries.find(
      (e) => e.type === LedgerAccountType.PROVIDER_PAYOUTS_IN_FLIGHT,
    )?.amount;
    if (!providerId || !amount) {
      throw new AppError('PAYOUT_NOT_FOUND', `payout ${intentId} was never begun (no beginPayout recorded)`);
    }
    const inFlight = ledgerAccount.providerPayoutsInFlight(providerId);
    const destination =
      kind === JournalKind.PAYOUT_COMPLETE
        ? ledgerAccount.treasury()
        : ledgerAccount.providerEarnings(providerId);
    return this.ledger.post({
      idempotencyKey: `payout:end:${intentId}`,
      kind,
      refs: { providerId, payoutIntentId: intentId, chainSignature: signature },
      entries: transfer(inFlight, destination, amount),
    });
  }
}

/** `amount` from one account to another. */
function transfer(from: LedgerAccountRef, to: LedgerAccountRef, amount: bigint): NewEntry[] {
  requirePositive(amount);
  return [
    { account: from, amount: -amount },
    { account: to, amount },
  ];
}

/** A customer reads only its own money, a provider only its own. */
function authorizeOwner(actor: Actor, owner: LedgerOwner): void {
  const allowed =
    owner.kind === 'account'
      ? actor.kind === 'account' && actor.accountId === owner.accountId
      : actor.kind === 'provider' && actor.providerId === owner.providerId;
  if (!allowed) {
    throw new AppError('FORBIDDEN', `these balances belong to another ${owner.kind}`);
  }
}
