import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../common/app-error';
import { formatTsr, MAX_UNITS } from './amount';
import { LedgerAccountRef, LedgerAccountType, mayGoNegative } from './ledger-account';
import { JournalKind } from './ledger-journal.entity';
import { InsufficientFundsError } from './ledger.exception';
import {
  InvariantReport,
  JournalRefs,
  LedgerAccountRow,
  LedgerEntryRow,
  NewJournal,
  PostedJournal,
} from './ledger.types';

interface LockedAccount extends LedgerAccountRow {
  id: string;
}

interface JournalRow {
  id: string;
  idempotencyKey: string;
  kind: JournalKind;
  fingerprint: string;
  memo: string | null;
  createdAt: Date;
  jobId: string | null;
  taskId: string | null;
  providerId: string | null;
  accountId: string | null;
  payoutIntentId: string | null;
  chainSignature: string | null;
}

const JOURNAL_COLUMNS = `j.id, j.idempotency_key AS "idempotencyKey", j.kind, j.fingerprint, j.memo, j.created_at AS "createdAt",
  j.job_id AS "jobId", j.task_id AS "taskId", j.provider_id AS "providerId", j.account_id AS "accountId",
  j.payout_intent_id AS "payoutIntentId", j.chain_signature AS "chainSignature"`;

/**
 * The double-entry ledger in SQL; the only code that touches ledger tables. Guarantees of `post`:
 * atomic (a journal's entries and balance updates commit together or not at all), at most once per
 * idempotency key, balanced (entries sum to zero), and no account but the treasury ever below zero,
 * also under concurrency.
 */
@Injectable()
export class LedgerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Posts a journal in one READ COMMITTED transaction:
   * 1. Claims the idempotency key by inserting the journal row first. A concurrent posting of the
   *    same key waits on the unique index until the first commits (then finds it: replay, or
   *    IDEMPOTENCY_CONFLICT if what it asked for differs) or rolls back (then it goes ahead). A
   *    refused posting rolls back with its key, so it may be retried once the money is there.
   * 2. Creates missing accounts and locks every account row of the journal, both in name order
   *    (COLLATE "C"): two postings touching the same accounts take their locks in the same order,
   *    so they queue instead of deadlocking.
   * 3. Computes the sweep, if any, from the locked balance; refuses an overdraft with the shortfall.
   * 4. Inserts the entries and adds them to the balance rows.
   */
  async post(journal: NewJournal): Promise<PostedJournal> {
    validate(journal);
    const fingerprint = fingerprintOf(journal);
    const refs = journal.refs ?? {};
    return this.db.transaction(async (tx) => {
      const claimed: { id: string; createdAt: Date }[] = await tx.query(
        `INSERT INTO ledger_journal (idempotency_key, kind, fingerprint, job_id, task_id, provider_id, account_id,
                                     payout_intent_id, chain_signature, memo)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id, created_at AS "createdAt"`,
        [
          journal.idempotencyKey,
          journal.kind,
          fingerprint,
          refs.jobId ?? null,
          refs.taskId ?? null,
          refs.providerId ?? null,
          refs.accountId ?? null,
          refs.payoutIntentId ?? null,
          refs.chainSignature ?? null,
          journal.memo ?? null,
        ],
      );
      if (claimed.length === 0) return this.replay(tx, journal.idempotencyKey, fingerprint);

      const locked = await this.lockAccounts(tx, accountsOf(journal));
      const entries = [...journal.entries];
      if (journal.sweep) {
        const { from, to, max } = journal.sweep;
        const held = locked.get(from.name)?.balance ?? 0n;
        const amount = held <= 0n ? 0n : max !== undefined && max < held ? max : held;
        if (amount > 0n) entries.push({ account: from, amount: -amount }, { account: to, amount });
      }

      const deltas = new Map<string, bigint>();
      for (const e of entries) deltas.set(e.account.name, (deltas.get(e.account.name) ?? 0n) + e.amount);
      for (const [name, delta] of deltas) {
        const account = locked.get(name) as LockedAccount;
        if (delta < 0n && !mayGoNegative(account.type) && account.balance + delta < 0n) {
          throw new InsufficientFundsError(name, account.balance, -delta);
        }
      }

      const journalId = claimed[0].id;
      if (entries.length > 0) {
        await tx.query(
          `INSERT INTO ledger_entry (journal_id, account_id, amount)
           SELECT $1, e.account_id, e.amount FROM unnest($2::uuid[], $3::bigint[]) WITH ORDINALITY AS e(account_id, amount, n)
           ORDER BY e.n`,
          [
            journalId,
            entries.map((e) => (locked.get(e.account.name) as LockedAccount).id),
            entries.map((e) => e.amount.toString()),
          ],
        );
        const changed = [...deltas].filter(([, delta]) => delta !== 0n);
        await tx.query(
          `UPDATE ledger_account a SET balance = a.balance + d.delta, updated_at = now()
             FROM unnest($1::uuid[], $2::bigint[]) AS d(id, delta) WHERE a.id = d.id`,
          [
            changed.map(([name]) => (locked.get(name) as LockedAccount).id),
            changed.map(([, delta]) => delta.toString()),
          ],
        );
      }
      return {
        id: journalId,
        idempotencyKey: journal.idempotencyKey,
        kind: journal.kind,
        refs: compactRefs(refs),
        memo: journal.memo ?? null,
        createdAt: claimed[0].createdAt,
        entries: entries.map((e) => ({ account: e.account.name, type: e.account.type, amount: e.amount })),
        replayed: false,
      };
    });
  }

  /** The journal posted under `idempotencyKey`, if any. */
  async findJournal(idempotencyKey: string): Promise<PostedJournal | undefined> {
    return this.readJournal(this.db.manager, idempotencyKey);
  }

  /** 0 for an account that has never been used. */
  async balance(name: string): Promise<bigint> {
    const rows: { balance: string }[] = await this.db.query(
      `SELECT balance FROM ledger_account WHERE name = $1`,
      [name],
    );
    return rows[0] ? BigInt(rows[0].balance) : 0n;
  }

  async findAccount(name: string): Promise<LedgerAccountRow | undefined> {
    const rows: (LedgerAccountRow & { balance: string })[] = await this.db.query(
      `SELECT name, type, owner_id AS "ownerId", job_id AS "jobId", balance FROM ledger_account WHERE name = $1`,
      [name],
    );
    return rows[0] ? { ...rows[0], balance: BigInt(rows[0].balance) } : undefined;
  }

  /** An owner's accounts of the given types, by name; empty escrows (of finished jobs) are left out. */
  async accountsOfOwner(ownerId: string, types: readonly LedgerAccountType[]): Promise<LedgerAccountRow[]> {
    const rows: (LedgerAccountRow & { balance: string })[] = await this.db.query(
      `SELECT name, type, owner_id AS "ownerId", job_id AS "jobId", balance FROM ledger_account
        WHERE owner_id = $1 AND type = ANY($2::varchar[]) AND (balance <> 0 OR type <> 'job_escrow')
        ORDER BY name`,
      [ownerId, types],
    );
    return rows.map((r) => ({ ...r, balance: BigInt(r.balance) }));
  }

  /**
   * What postings of one journal kind have credited each owner's accounts of one type, in total
   * (e.g. each provider's earnings from `check_pay`). Owners never credited are left out.
   */
  async creditedByKind(
    ownerIds: readonly string[],
    type: LedgerAccountType,
    kind: JournalKind,
  ): Promise<Map<string, bigint>> {
    if (ownerIds.length === 0) return new Map();
    const rows: { ownerId: string; total: string }[] = await this.db.query(
      `SELECT a.owner_id AS "ownerId", sum(e.amount)::text AS total
         FROM ledger_entry e
         JOIN ledger_account a ON a.id = e.account_id
         JOIN ledger_journal j ON j.id = e.journal_id
        WHERE a.owner_id = ANY($1::uuid[]) AND a.type = $2 AND j.kind = $3 AND e.amount > 0
        GROUP BY a.owner_id`,
      [ownerIds, type, kind],
    );
    return new Map(rows.map((r) => [r.ownerId, BigInt(r.total)]));
  }

  /** An owner's entries, newest first; pass the last row's id as `beforeId` for the next page. */
  async entriesOfOwner(
    ownerId: string,
    types: readonly LedgerAccountType[],
    page: { limit: number; beforeId?: string },
  ): Promise<LedgerEntryRow[]> {
    const rows: (JournalRow & {
      entryId: string;
      account: string;
      type: LedgerAccountType;
      accountJobId: string | null;
      amount: string;
    })[] = await this.db.query(
      `SELECT e.id AS "entryId", a.name AS account, a.type, a.job_id AS "accountJobId", e.amount, ${JOURNAL_COLUMNS}
         FROM ledger_entry e
         JOIN ledger_account a ON a.id = e.account_id
         JOIN ledger_journal j ON j.id = e.journal_id
        WHERE a.owner_id = $1 AND a.type = ANY($2::varchar[]) AND ($3::bigint IS NULL OR e.id < $3::bigint)
        ORDER BY e.id DESC
        LIMIT $4`,
      [ownerId, types, page.beforeId ?? null, page.limit],
    );
    return rows.map((r) => ({
      id: r.entryId,
      account: r.account,
      type: r.type,
      jobId: r.accountJobId,
      amount: BigInt(r.amount),
      journalId: r.id,
      idempotencyKey: r.idempotencyKey,
      kind: r.kind,
      memo: r.memo,
      refs: refsOf(r),
      createdAt: r.createdAt,
    }));
  }

  /**
   * Proves the books from scratch in one snapshot (REPEATABLE READ, so concurrent postings cannot
   * make it see half a journal): every journal sums to zero, all entries sum to zero, and each
   * materialized balance equals the sum of its account's entries. Reads every entry: an operator's
   * check, not a hot path.
   */
  async checkInvariant(): Promise<InvariantReport> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      await tx.query('SET TRANSACTION READ ONLY');
      const [totals]: {
        accounts: number;
        journals: number;
        entries: number;
        entriesTotal: string;
        balancesTotal: string;
      }[] = await tx.query(
        `SELECT (SELECT count(*)::int FROM ledger_account) AS accounts,
                (SELECT count(*)::int FROM ledger_journal) AS journals,
                (SELECT count(*)::int FROM ledger_entry) AS entries,
                (SELECT COALESCE(sum(amount), 0)::text FROM ledger_entry) AS "entriesTotal",
                (SELECT COALESCE(sum(balance), 0)::text FROM ledger_account) AS "balancesTotal"`,
      );
      const unbalanced: { journalId: string; idempotencyKey: string; sum: string }[] = await tx.query(
        `SELECT j.id AS "journalId", j.idempotency_key AS "idempotencyKey", s.sum::text AS sum
           FROM (SELECT journal_id, sum(amount) AS sum FROM ledger_entry GROUP BY journal_id HAVING sum(amount) <> 0) s
           JOIN ledger_journal j ON j.id = s.journal_id
          ORDER BY abs(s.sum) DESC LIMIT 100`,
      );
      const mismatched: { account: string; balance: string; entriesSum: string }[] = await tx.query(
        `SELECT a.name AS account, a.balance::text AS balance, COALESCE(s.sum, 0)::text AS "entriesSum"
           FROM ledger_account a
           LEFT JOIN (SELECT account_id, sum(amount) AS sum FROM ledger_entry GROUP BY account_id) s ON s.account_id = a.id
          WHERE a.balance <> COALESCE(s.sum, 0)
          ORDER BY abs(a.balance - COALESCE(s.sum, 0)) DESC LIMIT 100`,
      );
      const entriesTotal = BigInt(totals.entriesTotal);
      const balancesTotal = BigInt(totals.balancesTotal);
      return {
        ok: entriesTotal === 0n && balancesTotal === 0n && unbalanced.length === 0 && mismatched.length === 0,
        accounts: totals.accounts,
        journals: totals.journals,
        entries: totals.entries,
        entriesTotal,
        balancesTotal,
        unbalancedJournals: unbalanced.map((r) => ({ ...r, sum: BigInt(r.sum) })),
        mismatchedAccounts: mismatched.map((r) => ({
          account: r.account,
          balance: BigInt(r.balance),
          entriesSum: BigInt(r.entriesSum),
        })),
      };
    });
  }

  /** The key is taken: the original journal if this is the same request, a refusal otherwise. */
  private async replay(tx: EntityManager, key: string, fingerprint: string): Promise<PostedJournal> {
    const [row]: JournalRow[] = await tx.query(
      `SELECT ${JOURNAL_COLUMNS} FROM ledger_journal j WHERE j.idempotency_key = $1`,
      [key],
    );
    if (row.fingerprint !== fingerprint) {
      throw new AppError(
        'IDEMPOTENCY_CONFLICT',
        `key ${key} was already posted as a different ${row.kind} journal (${row.id}); a retry must repeat the original request exactly`,
      );
    }
    return (await this.readJournal(tx, key, true)) as PostedJournal;
  }

  private async readJournal(
    runner: EntityManager,
    key: string,
    replayed = false,
  ): Promise<PostedJournal | undefined> {
    const rows: (JournalRow & { account: string | null; type: LedgerAccountType; amount: string })[] =
      await runner.query(
        `SELECT ${JOURNAL_COLUMNS}, a.name AS account, a.type, e.amount
           FROM ledger_journal j
           LEFT JOIN ledger_entry e ON e.journal_id = j.id
           LEFT JOIN ledger_account a ON a.id = e.account_id
          WHERE j.idempotency_key = $1
          ORDER BY e.id`,
        [key],
      );
    const first = rows[0];
    if (!first) return undefined;
    return {
      id: first.id,
      idempotencyKey: first.idempotencyKey,
      kind: first.kind,
      refs: refsOf(first),
      memo: first.memo,
      createdAt: first.createdAt,
      entries: rows
        .filter((r) => r.account !== null)
        .map((r) => ({ account: r.account as string, type: r.type, amount: BigInt(r.amount) })),
      replayed,
    };
  }

  /** Creates missing accounts, then locks all of them, both in one global order (see post). */
  private async lockAccounts(
    tx: EntityManager,
    accounts: LedgerAccountRef[],
  ): Promise<Map<string, LockedAccount>> {
    await tx.query(
      `INSERT INTO ledger_account (name, type, owner_id, job_id)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::uuid[], $4::uuid[]) AS a(name, type, owner_id, job_id)
        ORDER BY name COLLATE "C"
       ON CONFLICT (name) DO NOTHING`,
      [
        accounts.map((a) => a.name),
        accounts.map((a) => a.type),
        accounts.map((a) => a.ownerId),
        accounts.map((a) => a.jobId),
      ],
    );
    const rows: (LockedAccount & { balance: string })[] = await tx.query(
      `SELECT id, name, type, owner_id AS "ownerId", job_id AS "jobId", balance FROM ledger_account
        WHERE name = ANY($1::varchar[]) ORDER BY name COLLATE "C" FOR UPDATE`,
      [accounts.map((a) => a.name)],
    );
    const locked = new Map(rows.map((r) => [r.name, { ...r, balance: BigInt(r.balance) }]));
    for (const ref of accounts) {
      const row = locked.get(ref.name) as LockedAccount;
      // Names are derived from type and owner, so a mismatch is a caller's bug (e.g. one job's
      // escrow claimed for two customers), never something to post through.
      if (row.type !== ref.type || row.ownerId !== ref.ownerId || row.jobId !== ref.jobId) {
        throw new Error(
          `ledger account ${ref.name} is ${row.type} of ${row.ownerId}, not ${ref.type} of ${ref.ownerId}`,
        );
      }
    }
    return locked;
  }
}

function validate(journal: NewJournal): void {
  const key = journal.idempotencyKey;
  if (!key || key.length > 200) {
    throw new AppError('BAD_INPUT', `idempotency key must be 1 to 200 characters`);
  }
  if (journal.memo !== undefined && journal.memo.length > 500) {
    throw new AppError('BAD_INPUT', `memo is ${journal.memo.length} characters; at most 500`, 'memo');
  }
  if (journal.entries.length === 0 && !journal.sweep) {
    throw new AppError('UNBALANCED_JOURNAL', `journal ${key} has no entries`);
  }
  let sum = 0n;
  for (const e of journal.entries) {
    if (e.amount === 0n || e.amount > MAX_UNITS || e.amount < -MAX_UNITS) {
      throw new AppError('BAD_INPUT', `journal ${key}: entry on ${e.account.name} has amount ${e.amount}`);
    }
    sum += e.amount;
  }
  if (sum !== 0n) {
    throw new AppError(
      'UNBALANCED_JOURNAL',
      `journal ${key}: entries sum to ${formatTsr(sum)} TSR; debits and credits must cancel out`,
    );
  }
  const sweep = journal.sweep;
  if (sweep && (sweep.from.name === sweep.to.name || (sweep.max !== undefined && sweep.max <= 0n))) {
    throw new AppError('BAD_INPUT', `journal ${key}: a sweep needs two accounts and a positive maximum`);
  }
}

/** Every account the journal touches, by name; one name must always mean the same account. */
function accountsOf(journal: NewJournal): LedgerAccountRef[] {
  const all = journal.entries.map((e) => e.account);
  if (journal.sweep) all.push(journal.sweep.from, journal.sweep.to);
  const byName = new Map<string, LedgerAccountRef>();
  for (const a of all) {
    const seen = byName.get(a.name);
    if (seen && (seen.type !== a.type || seen.ownerId !== a.ownerId || seen.jobId !== a.jobId)) {
      throw new Error(`journal ${journal.idempotencyKey} names ${a.name} for two different accounts`);
    }
    byName.set(a.name, a);
  }
  return [...byName.values()];
}

/** SHA-256 of what the caller asked for, in a canonical form (entries sorted, absent fields null). */
function fingerprintOf(journal: NewJournal): string {
  const refs = journal.refs ?? {};
  const account = (a: LedgerAccountRef) => [a.name, a.type, a.ownerId, a.jobId];
  const canonical = JSON.stringify([
    journal.kind,
    [refs.jobId, refs.taskId, refs.providerId, refs.accountId, refs.payoutIntentId, refs.chainSignature].map(
      (r) => r ?? null,
    ),
    journal.memo ?? null,
    journal.entries
      .map((e) => [...account(e.account), e.amount.toString()])
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
    journal.sweep
      ? [account(journal.sweep.from), account(journal.sweep.to), journal.sweep.max?.toString() ?? null]
      : null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

function refsOf(row: JournalRow): JournalRefs {
  return compactRefs({
    jobId: row.jobId ?? undefined,
    taskId: row.taskId ?? undefined,
    providerId: row.providerId ?? undefined,
    accountId: row.accountId ?? undefined,
    payoutIntentId: row.payoutIntentId ?? undefined,
    chainSignature: row.chainSignature ?? undefined,
  });
}

function compactRefs(refs: JournalRefs): JournalRefs {
  return Object.fromEntries(Object.entries(refs).filter(([, v]) => v !== undefined)) as JournalRefs;
}
