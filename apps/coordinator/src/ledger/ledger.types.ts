import { LedgerAccountRef, LedgerAccountType } from './ledger-account';
import { JournalKind } from './ledger-journal.entity';

// The ledger's vocabulary, shared by LedgerRepository, LedgerService and their callers.

/** What a journal mentions, for reading and reconciliation. */
export interface JournalRefs {
  jobId?: string;
  taskId?: string;
  providerId?: string;
  accountId?: string;
  payoutIntentId?: string;
  chainSignature?: string;
}

export interface NewEntry {
  account: LedgerAccountRef;
  /** Base units added to the account (negative: taken from it). Never zero. */
  amount: bigint;
}

/**
 * Moves whatever `from` holds (at most `max`) to `to`, the amount read under the posting's lock:
 * "refund what is left in escrow", "slash what is there". Nothing left: the journal has no entries
 * but is still recorded, so its key is spent.
 */
export interface Sweep {
  from: LedgerAccountRef;
  to: LedgerAccountRef;
  max?: bigint;
}

export interface NewJournal {
  idempotencyKey: string;
  kind: JournalKind;
  refs?: JournalRefs;
  memo?: string;
  entries: NewEntry[];
  sweep?: Sweep;
}

export interface PostedEntry {
  account: string;
  type: LedgerAccountType;
  amount: bigint;
}

export interface PostedJournal {
  id: string;
  idempotencyKey: string;
  kind: JournalKind;
  refs: JournalRefs;
  memo: string | null;
  createdAt: Date;
  entries: PostedEntry[];
  /** True when the key had been posted before and this is that original journal, unchanged. */
  replayed: boolean;
}

export interface LedgerAccountRow {
  name: string;
  type: LedgerAccountType;
  ownerId: string | null;
  jobId: string | null;
  balance: bigint;
}

export interface LedgerEntryRow extends PostedEntry {
  /** Increases with insertion: the cursor for the next page. */
  id: string;
  jobId: string | null;
  journalId: string;
  idempotencyKey: string;
  kind: JournalKind;
  memo: string | null;
  refs: JournalRefs;
  createdAt: Date;
}

export interface InvariantReport {
  /** All entries sum to zero, every journal balances and every balance row equals its entries. */
  ok: boolean;
  accounts: number;
  journals: number;
  entries: number;
  entriesTotal: bigint;
  balancesTotal: bigint;
  /** At most 100 of each, worst first. */
  unbalancedJournals: { journalId: string; idempotencyKey: string; sum: bigint }[];
  mismatchedAccounts: { account: string; balance: bigint; entriesSum: bigint }[];
}
