import { randomUUID } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { parseTsr } from './amount';
import { ledgerAccount, LedgerAccountRef } from './ledger-account';
import { JournalKind } from './ledger-journal.entity';
import { LedgerRepository } from './ledger.repository';
import { NewJournal } from './ledger.types';

const tsr = (text: string) => parseTsr(text);

describe('LedgerRepository.post on PostgreSQL', () => {
  let env: TestCoordinator;
  let sut: LedgerRepository;
  let db: DataSource;

  beforeAll(async () => {
    // Several connections, so concurrent postings really run in parallel transactions.
    env = await startTestCoordinator({ DATABASE_POOL_SIZE: '12' });
    sut = env.get(LedgerRepository);
    db = env.get(getDataSourceToken());
  });
  afterAll(() => env.stop());

  function transfer(key: string, from: LedgerAccountRef, to: LedgerAccountRef, amount: bigint): NewJournal {
    return {
      idempotencyKey: key,
      kind: JournalKind.ADJUSTMENT,
      entries: [
        { account: from, amount: -amount },
        { account: to, amount },
      ],
    };
  }

  /** A customer account funded from the treasury with `amount`. */
  async function funded(amount: string): Promise<LedgerAccountRef> {
    const account = ledgerAccount.customerAvailable(randomUUID());
    await sut.post(transfer(`fund:${account.name}`, ledgerAccount.treasury(), account, tsr(amount)));
    return account;
  }

  async function journalCount(key: string): Promise<number> {
    const [row] = await db.query(`SELECT count(*)::int AS n FROM ledger_journal WHERE idempotency_key = $1`, [
      key,
    ]);
    return row.n;
  }

  it('moves money between accounts and records every entry', async () => {
    const a = await funded('10');
    const b = ledgerAccount.customerAvailable(randomUUID());
    const posted = await sut.post({ ...transfer('t1', a, b, tsr('2.5')), memo: 'test' });
    expect(posted).toMatchObject({ idempotencyKey: 't1', kind: 'adjustment', memo: 'test', replayed: false });
    expect(posted.entries).toEqual([
      { account: a.name, type: a.type, amount: -tsr('2.5') },
      { account: b.name, type: b.type, amount: tsr('2.5') },
    ]);
    expect(await sut.balance(a.name)).toBe(tsr('7.5'));
    expect(await sut.balance(b.name)).toBe(tsr('2.5'));
    expect(await sut.findJournal('t1')).toEqual({ ...posted, replayed: false });
  });

  it('returns the original journal for a replayed key and changes nothing', async () => {
    const a = await funded('10');
    const b = ledgerAccount.customerAvailable(randomUUID());
    const first = await sut.post(transfer('replay-1', a, b, tsr('4')));
    const again = await sut.post(transfer('replay-1', a, b, tsr('4')));
    expect(again).toEqual({ ...first, replayed: true });
    expect(await sut.balance(a.name)).toBe(tsr('6'));
    expect(await sut.balance(b.name)).toBe(tsr('4'));
    expect(await journalCount('replay-1')).toBe(1);
  });

  it('refuses a different posting under a key already used, naming the key', async () => {
    const a = await funded('10');
    const b = ledgerAccount.customerAvailable(randomUUID());
    await sut.post(transfer('conflict-1', a, b, tsr('1')));
    await expect(sut.post(transfer('conflict-1', a, b, tsr('2')))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      message: expect.stringContaining('key conflict-1 was already posted'),
    });
    await expect(
      sut.post({ ...transfer('conflict-1', a, b, tsr('1')), memo: 'another memo' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await sut.balance(a.name)).toBe(tsr('9'));
  });

  it('refuses a journal whose entries do not sum to zero, storing nothing', async () => {
    const a = await funded('10');
    const b = ledgerAccount.customerAvailable(randomUUID());
    await expect(
      sut.post({
        idempotencyKey: 'unbalanced-1',
        kind: JournalKind.ADJUSTMENT,
        entries: [
          { account: a, amount: -tsr('3') },
          { account: b, amount: tsr('2.5') },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'UNBALANCED_JOURNAL',
      message: expect.stringContaining('entries sum to -0.5 TSR'),
    });
    await expect(
      sut.post({ idempotencyKey: 'empty-1', kind: JournalKind.ADJUSTMENT, entries: [] }),
    ).rejects.toMatchObject({ code: 'UNBALANCED_JOURNAL' });
    expect(await journalCount('unbalanced-1')).toBe(0);
    expect(await sut.balance(a.name)).toBe(tsr('10'));
  });

  it('refuses an overdraft with the shortfall, and leaves the key free for a later retry', async () => {
    const a = await funded('3.5');
    const b = ledgerAccount.customerAvailable(randomUUID());
    await expect(sut.post(transfer('overdraft-1', a, b, tsr('5')))).rejects.toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      message: `balance 3.5 TSR, needs 5 TSR (short by 1.5 TSR) on ${a.name}`,
      shortfall: tsr('1.5'),
    });
    expect(await sut.balance(a.name)).toBe(tsr('3.5'));
    expect(await sut.balance(b.name)).toBe(0n);
    expect(await journalCount('overdraft-1')).toBe(0);

    await sut.post(transfer(`top-up:${a.name}`, ledgerAccount.treasury(), a, tsr('1.5')));
    expect((await sut.post(transfer('overdraft-1', a, b, tsr('5')))).replayed).toBe(false);
    expect(await sut.balance(a.name)).toBe(0n);
  });

  it('lets only the treasury go below zero', async () => {
    const before = await sut.balance('platform:treasury');
    await funded('1');
    expect(await sut.balance('platform:treasury')).toBe(before - tsr('1'));
    await expect(
      sut.post(transfer('fees-negative', ledgerAccount.platformFees(), ledgerAccount.treasury(), 1n)),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
  });

  it('applies a key once when the same posting races itself', async () => {
    const a = await funded('10');
    const b = ledgerAccount.customerAvailable(randomUUID());
    const results = await Promise.all(
      Array.from({ length: 20 }, () => sut.post(transfer('race-1', a, b, tsr('3')))),
    );
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await sut.balance(a.name)).toBe(tsr('7'));
    expect(await sut.balance(b.name)).toBe(tsr('3'));
  });

  it('never deadlocks when transfers cross between the same accounts', async () => {
    const a = await funded('100');
    const b = await funded('100');
    const c = await funded('100');
    const pairs: [LedgerAccountRef, LedgerAccountRef][] = [
      [a, b],
      [b, a],
      [b, c],
      [c, a],
      [a, c],
      [c, b],
    ];
    await Promise.all(
      Array.from({ length: 90 }, (_, i) => {
        const [from, to] = pairs[i % pairs.length];
        return sut.post(transfer(`cross-${i}`, from, to, tsr('1')));
      }),
    );
    // Every account sent and received 30 transfers of 1 TSR.
    expect([await sut.balance(a.name), await sut.balance(b.name), await sut.balance(c.name)]).toEqual([
      tsr('100'),
      tsr('100'),
      tsr('100'),
    ]);
  });

  it('keeps journals and entries append-only', async () => {
    const a = await funded('1');
    // A plain client: TypeORM would log the expected failures.
    const client = new Client({ connectionString: env.db.url });
    await client.connect();
    try {
      await expect(client.query(`UPDATE ledger_entry SET amount = amount * 2`)).rejects.toThrow(
        'the ledger is append-only: UPDATE on ledger_entry',
      );
      await expect(client.query(`DELETE FROM ledger_journal`)).rejects.toThrow('append-only');
    } finally {
      await client.end();
    }
    expect(await sut.balance(a.name)).toBe(tsr('1'));
  });

  it('finds the books balanced after all of the above', async () => {
    const report = await sut.checkInvariant();
    expect(report).toMatchObject({
      ok: true,
      entriesTotal: 0n,
      balancesTotal: 0n,
      unbalancedJournals: [],
      mismatchedAccounts: [],
    });
    expect(report.entries).toBeGreaterThan(200);
  });

  // The last tests corrupt the books on purpose: keep them at the end of the file.

  it('reports a balance row that no longer equals its entries', async () => {
    const a = await funded('2');
    await db.query(`UPDATE ledger_account SET balance = balance + 1000000 WHERE name = $1`, [a.name]);
    const report = await sut.checkInvariant();
    expect(report.ok).toBe(false);
    expect(report.balancesTotal).toBe(tsr('1'));
    expect(report.mismatchedAccounts).toEqual([{ account: a.name, balance: tsr('3'), entriesSum: tsr('2') }]);
    expect(report.unbalancedJournals).toEqual([]);
    await db.query(`UPDATE ledger_account SET balance = balance - 1000000 WHERE name = $1`, [a.name]);
    expect((await sut.checkInvariant()).ok).toBe(true);
  });

  it('reports an entry slipped in without its counterpart', async () => {
    const a = await funded('2');
    const { id: journalId } = (await sut.findJournal(`fund:${a.name}`)) as { id: string };
    await db.query(
      `INSERT INTO ledger_entry (journal_id, account_id, amount)
       SELECT $1, id, 500000 FROM ledger_account WHERE name = $2`,
      [journalId, a.name],
    );
    const report = await sut.checkInvariant();
    expect(report).toMatchObject({ ok: false, entriesTotal: tsr('0.5'), balancesTotal: 0n });
    expect(report.unbalancedJournals).toEqual([
      { journalId, idempotencyKey: `fund:${a.name}`, sum: tsr('0.5') },
    ]);
    expect(report.mismatchedAccounts).toEqual([
      { account: a.name, balance: tsr('2'), entriesSum: tsr('2.5') },
    ]);
  });
});
