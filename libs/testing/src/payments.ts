import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testCapabilities } from './test-agent';

/**
 * Fixtures for end-to-end payment tests, which drive coordinators as processes and so cannot call
 * LedgerService: providers and their earnings written in SQL, in the ledger's own shape (one
 * balanced `adjustment` journal; docs/ledger.md), and the ledger's invariant read back the same way
 * as LedgerService.checkInvariant.
 */

async function withClient<T>(databaseUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Registers providers as if their agents had connected once; returns their ids, in order. */
export async function insertProviders(
  databaseUrl: string,
  providers: { address: string; owner?: string | null; name?: string }[],
): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    const ids: string[] = [];
    for (const p of providers) {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO provider (address, name, capabilities, agent_version, last_seen_at, owner)
         VALUES ($1, $2, $3, 'e2e', now(), $4) RETURNING id`,
        [p.address, p.name ?? null, JSON.stringify(testCapabilities()), p.owner ?? null],
      );
      ids.push(rows[0].id);
    }
    return ids;
  });
}

/**
 * Credits providers' earnings (base units) in one balanced journal from the treasury, as an
 * operator's adjustment would: it stands for accepted tasks captured from escrow.
 */
export async function creditEarnings(
  databaseUrl: string,
  earnings: { providerId: string; amount: bigint }[],
): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query('BEGIN');
    try {
      const accounts = [
        { name: 'platform:treasury', type: 'treasury', owner: null as string | null },
        ...earnings.map((e) => ({
          name: `provider:${e.providerId}:earnings`,
          type: 'provider_earnings',
          owner: e.providerId,
        })),
      ];
      for (const a of accounts) {
        await client.query(
          `INSERT INTO ledger_account (name, type, owner_id) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
          [a.name, a.type, a.owner],
        );
      }
      const total = earnings.reduce((sum, e) => sum + e.amount, 0n);
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO ledger_journal (idempotency_key, kind, fingerprint, memo)
         VALUES ($1, 'adjustment', repeat('0', 64), 'e2e: earnings of accepted tasks') RETURNING id`,
        [`adjust:e2e:${randomUUID()}`],
      );
      const lines = [
        { name: 'platform:treasury', amount: -total },
        ...earnings.map((e) => ({ name: `provider:${e.providerId}:earnings`, amount: e.amount })),
      ];
      for (const line of lines) {
        await client.query(
          `INSERT INTO ledger_entry (journal_id, account_id, amount)
           SELECT $1, id, $3 FROM ledger_account WHERE name = $2`,
          [rows[0].id, line.name, line.amount.toString()],
        );
        await client.query(`UPDATE ledger_account SET balance = balance + $2 WHERE name = $1`, [
          line.name,
          line.amount.toString(),
        ]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

export interface LedgerCheck {
  ok: boolean;
  entriesTotal: bigint;
  unbalancedJournals: number;
  mismatchedAccounts: number;
}

/** The ledger's invariant (LedgerService.checkInvariant): everything sums to zero, balances match entries. */
export async function checkLedger(databaseUrl: string): Promise<LedgerCheck> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ total: string; unbalanced: number; mismatched: number }>(
      `SELECT (SELECT COALESCE(sum(amount), 0)::text FROM ledger_entry) AS total,
              (SELECT count(*)::int FROM (SELECT journal_id FROM ledger_entry GROUP BY journal_id HAVING sum(amount) <> 0) j) AS unbalanced,
              (SELECT count(*)::int FROM ledger_account a
                 LEFT JOIN (SELECT account_id, sum(amount) AS s FROM ledger_entry GROUP BY account_id) e ON e.account_id = a.id
                WHERE a.balance <> COALESCE(e.s, 0)) AS mismatched`,
    );
    const entriesTotal = BigInt(rows[0].total);
    return {
      ok: entriesTotal === 0n && rows[0].unbalanced === 0 && rows[0].mismatched === 0,
      entriesTotal,
      unbalancedJournals: rows[0].unbalanced,
      mismatchedAccounts: rows[0].mismatched,
    };
  });
}

/** Rows of a query, for assertions on the coordinator's tables. */
export async function queryRows<T>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withClient(databaseUrl, async (client) => (await client.query(sql, params)).rows as T[]);
}
