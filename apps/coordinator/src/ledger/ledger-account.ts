/**
 * Ledger accounts: where money sits. Each is a `ledger_account` row, created on first use, named
 * deterministically from its type and owner so that any caller (and an operator reading SQL) can
 * name it without a lookup:
 *
 * | type                       | name                                  | owner_id            | job_id |
 * |----------------------------|---------------------------------------|---------------------|--------|
 * | customer_available         | `customer:<accountId>:available`      | customer account id |        |
 * | job_escrow                 | `job:<jobId>:escrow`                  | customer account id | job id |
 * | provider_earnings          | `provider:<providerId>:earnings`      | provider id         |        |
 * | provider_bond              | `provider:<providerId>:bond`          | provider id         |        |
 * | provider_payouts_in_flight | `provider:<providerId>:payouts`       | provider id         |        |
 * | platform_fees              | `platform:fees`                       |                     |        |
 * | platform_slashed           | `platform:slashed`                    |                     |        |
 * | treasury                   | `platform:treasury`                   |                     |        |
 *
 * Sign convention: an entry's amount is what it adds to its account's balance, and every journal's
 * entries sum to zero, so all balances together sum to zero. A positive balance is money the
 * platform holds for that owner (or, for fees and slashed, has earned). The treasury is the on-chain
 * side, the contra account: a deposit moves money out of it into a customer's account and a payout
 * moves it back, so `-balance(treasury)` is what the ledger says the treasury token account holds.
 * It is the only account that may go negative; every other one is refused an overdraft.
 *
 * Escrow is per job (named by the job alone, so a refund needs only the job id) and records its
 * customer as owner. Payouts in flight are per provider: what has left its earnings for a transfer
 * that is not yet confirmed, so a provider's balances show it and no row is shared by all payouts.
 */
export enum LedgerAccountType {
  CUSTOMER_AVAILABLE = 'customer_available',
  JOB_ESCROW = 'job_escrow',
  PROVIDER_EARNINGS = 'provider_earnings',
  PROVIDER_BOND = 'provider_bond',
  PROVIDER_PAYOUTS_IN_FLIGHT = 'provider_payouts_in_flight',
  PLATFORM_FEES = 'platform_fees',
  PLATFORM_SLASHED = 'platform_slashed',
  TREASURY = 'treasury',
}

export const CUSTOMER_ACCOUNT_TYPES: readonly LedgerAccountType[] = [
  LedgerAccountType.CUSTOMER_AVAILABLE,
  LedgerAccountType.JOB_ESCROW,
];
export const PROVIDER_ACCOUNT_TYPES: readonly LedgerAccountType[] = [
  LedgerAccountType.PROVIDER_EARNINGS,
  LedgerAccountType.PROVIDER_BOND,
  LedgerAccountType.PROVIDER_PAYOUTS_IN_FLIGHT,
];

/** Whether an account may go below zero: only the treasury (see above). */
export function mayGoNegative(type: LedgerAccountType): boolean {
  return type === LedgerAccountType.TREASURY;
}

/** A ledger account as callers name it: its row is created on first use from these fields. */
export interface LedgerAccountRef {
  type: LedgerAccountType;
  name: string;
  ownerId: string | null;
  jobId: string | null;
}

export const ledgerAccount = {
  customerAvailable: (accountId: string): LedgerAccountRef => ({
    type: LedgerAccountType.CUSTOMER_AVAILABLE,
    name: `customer:${accountId}:available`,
    ownerId: accountId,
    jobId: null,
  }),
  jobEscrow: (jobId: string, accountId: string): LedgerAccountRef => ({
    type: LedgerAccountType.JOB_ESCROW,
    name: jobEscrowName(jobId),
    ownerId: accountId,
    jobId,
  }),
  providerEarnings: (providerId: string): LedgerAccountRef => ({
    type: LedgerAccountType.PROVIDER_EARNINGS,
    name: `provider:${providerId}:earnings`,
    ownerId: providerId,
    jobId: null,
  }),
  providerBond: (providerId: string): LedgerAccountRef => ({
    type: LedgerAccountType.PROVIDER_BOND,
    name: `provider:${providerId}:bond`,
    ownerId: providerId,
    jobId: null,
  }),
  providerPayoutsInFlight: (providerId: string): LedgerAccountRef => ({
    type: LedgerAccountType.PROVIDER_PAYOUTS_IN_FLIGHT,
    name: `provider:${providerId}:payouts`,
    ownerId: providerId,
    jobId: null,
  }),
  platformFees: (): LedgerAccountRef => platform(LedgerAccountType.PLATFORM_FEES, 'platform:fees'),
  platformSlashed: (): LedgerAccountRef => platform(LedgerAccountType.PLATFORM_SLASHED, 'platform:slashed'),
  treasury: (): LedgerAccountRef => platform(LedgerAccountType.TREASURY, 'platform:treasury'),
};

/** The escrow's name needs only the job, so a refund can find it from the job id. */
export function jobEscrowName(jobId: string): string {
  return `job:${jobId}:escrow`;
}

function platform(type: LedgerAccountType, name: string): LedgerAccountRef {
  return { type, name, ownerId: null, jobId: null };
}
