import { randomBytes, randomUUID } from 'node:crypto';
import bs58 from 'bs58';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { Actor } from '../auth/actor';
import { AppError } from '../common/app-error';
import { parseTsr } from './amount';
import { ledgerAccount } from './ledger-account';
import { LedgerService } from './ledger.service';

const tsr = (text: string) => parseTsr(text);
const signature = () => bs58.encode(randomBytes(64));

describe('LedgerService on PostgreSQL', () => {
  let env: TestCoordinator;
  let sut: LedgerService;

  beforeAll(async () => {
    // The whole app, so this also proves AppModule wires the ledger; several connections, so
    // concurrent calls really run in parallel transactions.
    env = await startTestCoordinator({ DATABASE_POOL_SIZE: '12' });
    sut = env.get(LedgerService);
  });
  afterAll(() => env.stop());

  const available = (accountId: string) => sut.balance(ledgerAccount.customerAvailable(accountId));
  const escrow = (jobId: string, accountId: string) => sut.balance(ledgerAccount.jobEscrow(jobId, accountId));
  const earnings = (providerId: string) => sut.balance(ledgerAccount.providerEarnings(providerId));
  const bond = (providerId: string) => sut.balance(ledgerAccount.providerBond(providerId));

  async function customer(deposit: string): Promise<string> {
    const accountId = randomUUID();
    await sut.creditDeposit(accountId, tsr(deposit), signature());
    return accountId;
  }

  /** A job of a fresh customer with `reserved` in escrow. */
  async function job(reserved: string): Promise<{ jobId: string; accountId: string }> {
    const accountId = await customer(reserved);
    const jobId = randomUUID();
    await sut.reserve(jobId, accountId, tsr(reserved));
    return { jobId, accountId };
  }

  /** A provider with `amount` of earnings from a task of some job. */
  async function provider(amount: string): Promise<string> {
    const providerId = randomUUID();
    const { jobId } = await job(amount);
    await sut.captureTask(jobId, randomUUID(), providerId, tsr(amount), 0);
    return providerId;
  }

  describe('deposits', () => {
    it('credit a customer once per chain signature', async () => {
      const accountId = randomUUID();
      const sig = signature();
      const first = await sut.creditDeposit(accountId, tsr('12.5'), sig);
      const again = await sut.creditDeposit(accountId, tsr('12.5'), sig);
      expect(again).toEqual({ ...first, replayed: true });
      expect(first.refs).toEqual({ accountId, chainSignature: sig });
      expect(await available(accountId)).toBe(tsr('12.5'));
      await expect(sut.creditDeposit(randomUUID(), tsr('12.5'), sig)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
    });

    it('refuse amounts that are not positive', async () => {
      await expect(sut.creditDeposit(randomUUID(), 0n, signature())).rejects.toMatchObject({
        code: 'BAD_INPUT',
      });
    });
  });

  describe('escrow', () => {
    it('reserves a job price cap once, and refuses one the balance cannot cover with the shortfall', async () => {
      const accountId = await customer('3.5');
      const jobId = randomUUID();
      await expect(sut.reserve(jobId, accountId, tsr('5'))).rejects.toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        message: expect.stringContaining('balance 3.5 TSR, needs 5 TSR (short by 1.5 TSR)'),
      });
      expect(await escrow(jobId, accountId)).toBe(0n);
      await sut.reserve(jobId, accountId, tsr('2'));
      await sut.reserve(jobId, accountId, tsr('2'));
      expect(await available(accountId)).toBe(tsr('1.5'));
      expect(await escrow(jobId, accountId)).toBe(tsr('2'));
    });

    it('lets exactly as many of 50 concurrent reserves succeed as the balance covers', async () => {
      const accountId = await customer('17.5');
      // Watch the balance while the race runs: it must never be seen below zero.
      const seen: bigint[] = [];
      let racing = true;
      const watcher = (async () => {
        while (racing) seen.push(await available(accountId));
      })();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () => sut.reserve(randomUUID(), accountId, tsr('1'))),
      );
      racing = false;
      await watcher;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((b) => b >= 0n)).toBe(true);
      const refused = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(17);
      expect(refused).toHaveLength(33);
      for (const r of refused) expect((r.reason as AppError).code).toBe('INSUFFICIENT_FUNDS');
      expect(await available(accountId)).toBe(tsr('0.5'));
      const balances = await sut.customerBalances({ kind: 'account', accountId }, accountId);
      expect(balances).toMatchObject({ available: tsr('0.5'), escrow: tsr('17') });
      expect(balances.escrows).toHaveLength(17);
    });

    it('captures a task into provider earnings and platform fees, the fee rounded down', async () => {
      const { jobId } = await job('10');
      const providerId = randomUUID();
      const fees = await sut.balance(ledgerAccount.platformFees());
      // 10 % of 1.234567 TSR is 0.1234567: the fee is 0.123456, the provider gets the last unit.
      const captured = await sut.captureTask(jobId, randomUUID(), providerId, tsr('1.234567'), 1000);
      expect(captured.entries.map((e) => [e.type, e.amount])).toEqual([
        ['job_escrow', -tsr('1.234567')],
        ['provider_earnings', tsr('1.111111')],
        ['platform_fees', tsr('0.123456')],
      ]);
      expect(await earnings(providerId)).toBe(tsr('1.111111'));
      expect((await sut.balance(ledgerAccount.platformFees())) - fees).toBe(tsr('0.123456'));
    });

    it('captures a task once when captures of it race', async () => {
      const { jobId, accountId } = await job('10');
      const providerId = randomUUID();
      const taskId = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => sut.captureTask(jobId, taskId, providerId, tsr('2'), 500)),
      );
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await escrow(jobId, accountId)).toBe(tsr('8'));
      expect(await earnings(providerId)).toBe(tsr('1.9'));
      await expect(sut.captureTask(jobId, taskId, randomUUID(), tsr('2'), 500)).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
    });

    it('refuses a capture beyond the escrow, or for a job that reserved nothing', async () => {
      const { jobId } = await job('1');
      await expect(sut.captureTask(jobId, randomUUID(), randomUUID(), tsr('1.5'), 0)).rejects.toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
        message: expect.stringContaining('short by 0.5 TSR'),
      });
      await expect(
        sut.captureTask(randomUUID(), randomUUID(), randomUUID(), tsr('1'), 0),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
      await expect(
        sut.captureTask(jobId, randomUUID(), randomUUID(), tsr('1'), 10_001),
      ).rejects.toMatchObject({
        code: 'BAD_INPUT',
      });
    });

    it('refunds exactly the remainder after partial capture, once, and refuses captures after it', async () => {
      const { jobId, accountId } = await job('10');
      const providerId = randomUUID();
      await sut.captureTask(jobId, randomUUID(), providerId, tsr('2.25'), 0);
      await sut.captureTask(jobId, randomUUID(), providerId, tsr('3'), 0);
      const refund = await sut.refundRemainder(jobId);
      expect(refund?.entries.map((e) => [e.type, e.amount])).toEqual([
        ['job_escrow', -tsr('4.75')],
        ['customer_available', tsr('4.75')],
      ]);
      expect(await available(accountId)).toBe(tsr('4.75'));
      expect(await escrow(jobId, accountId)).toBe(0n);
      expect(await sut.refundRemainder(jobId)).toEqual({ ...refund, replayed: true });
      expect(await available(accountId)).toBe(tsr('4.75'));
      await expect(sut.captureTask(jobId, randomUUID(), providerId, tsr('1'), 0)).rejects.toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
      });
      expect(await sut.refundRemainder(randomUUID())).toBeUndefined();
    });

    it('splits an escrow exactly between captures and a refund that race them', async () => {
      const { jobId, accountId } = await job('20');
      const providerId = randomUUID();
      const captures = Array.from({ length: 30 }, () =>
        sut.captureTask(jobId, randomUUID(), providerId, tsr('1'), 0),
      );
      const [refund] = await Promise.all([sut.refundRemainder(jobId), Promise.allSettled(captures)]);
      const captured = await earnings(providerId);
      const refunded = refund?.entries.find((e) => e.type === 'customer_available')?.amount ?? 0n;
      expect(captured + refunded).toBe(tsr('20'));
      expect(await available(accountId)).toBe(refunded);
      expect(await escrow(jobId, accountId)).toBe(0n);
    });
  });

  describe('bonds', () => {
    it('holds a bond from a chain transfer or from earnings', async () => {
      const providerId = await provider('4');
      const sig = signature();
      await sut.holdBond(providerId, tsr('10'), { kind: 'deposit', signature: sig });
      await sut.holdBond(providerId, tsr('10'), { kind: 'deposit', signature: sig });
      await sut.holdBond(providerId, tsr('3'), { kind: 'earnings', key: 'first-week' });
      expect(await bond(providerId)).toBe(tsr('13'));
      expect(await earnings(providerId)).toBe(tsr('1'));
      await expect(
        sut.holdBond(providerId, tsr('3'), { kind: 'earnings', key: 'second-week' }),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    });

    it('slashes what the bond holds and never below zero', async () => {
      const providerId = randomUUID();
      await sut.holdBond(providerId, tsr('3'), { kind: 'deposit', signature: signature() });
      const slashed = await sut.balance(ledgerAccount.platformSlashed());
      await sut.slashBond(providerId, tsr('2'), 'failed spot-check', 'check-1');
      expect(await bond(providerId)).toBe(tsr('1'));
      const partial = await sut.slashBond(providerId, tsr('5'), 'failed spot-check', 'check-2');
      expect(partial.entries.map((e) => e.amount)).toEqual([-tsr('1'), tsr('1')]);
      const nothing = await sut.slashBond(providerId, tsr('5'), 'failed spot-check', 'check-3');
      expect(nothing.entries).toEqual([]);
      expect(await sut.slashBond(providerId, tsr('2'), 'failed spot-check', 'check-1')).toMatchObject({
        replayed: true,
      });
      expect(await bond(providerId)).toBe(0n);
      expect((await sut.balance(ledgerAccount.platformSlashed())) - slashed).toBe(tsr('3'));
    });

    it('slashes concurrently without taking more than the bond', async () => {
      const providerId = randomUUID();
      await sut.holdBond(providerId, tsr('3.5'), { kind: 'deposit', signature: signature() });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => sut.slashBond(providerId, tsr('1'), 'cheating', `race-${i}`)),
      );
      expect(await bond(providerId)).toBe(0n);
    });
  });

  describe('payouts', () => {
    it('moves earnings to in flight, then to the treasury on completion, once', async () => {
      const providerId = await provider('10');
      const treasury = await sut.balance(ledgerAccount.treasury());
      const intentId = randomUUID();
      await sut.beginPayout(intentId, providerId, tsr('6'));
      const me: Actor = { kind: 'provider', providerId };
      expect(await sut.providerBalances(me, providerId)).toEqual({
        earnings: tsr('4'),
        bond: 0n,
        payoutsInFlight: tsr('6'),
      });
      const sig = signature();
      const done = await sut.completePayout(intentId, sig);
      expect(done.refs).toMatchObject({ providerId, payoutIntentId: intentId, chainSignature: sig });
      expect((await sut.completePayout(intentId, sig)).replayed).toBe(true);
      expect(await sut.providerBalances(me, providerId)).toMatchObject({
        earnings: tsr('4'),
        payoutsInFlight: 0n,
      });
      expect((await sut.balance(ledgerAccount.treasury())) - treasury).toBe(tsr('6'));
      await expect(sut.cancelPayout(intentId)).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    });

    it('returns a cancelled payout to earnings, and cannot complete it afterwards', async () => {
      const providerId = await provider('5');
      const intentId = randomUUID();
      await sut.beginPayout(intentId, providerId, tsr('5'));
      await expect(sut.beginPayout(randomUUID(), providerId, tsr('1'))).rejects.toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
      });
      await sut.cancelPayout(intentId);
      expect(await earnings(providerId)).toBe(tsr('5'));
      await expect(sut.completePayout(intentId, signature())).rejects.toMatchObject({
        code: 'IDEMPOTENCY_CONFLICT',
      });
      await expect(sut.completePayout(randomUUID(), signature())).rejects.toMatchObject({
        code: 'PAYOUT_NOT_FOUND',
      });
    });
  });

  describe('reads', () => {
    it('pages an owner history newest first', async () => {
      const accountId = await customer('10');
      const jobs = [randomUUID(), randomUUID(), randomUUID()];
      for (const jobId of jobs) await sut.reserve(jobId, accountId, tsr('1'));
      const me: Actor = { kind: 'account', accountId };
      const owner = { kind: 'account' as const, accountId };
      const first = await sut.entriesOf(me, owner, { limit: 4 });
      expect(first.items.map((e) => [e.kind, e.type, e.amount])).toEqual([
        ['escrow_reserve', 'job_escrow', tsr('1')],
        ['escrow_reserve', 'customer_available', -tsr('1')],
        ['escrow_reserve', 'job_escrow', tsr('1')],
        ['escrow_reserve', 'customer_available', -tsr('1')],
      ]);
      expect(first.items[0]).toMatchObject({ jobId: jobs[2], refs: { jobId: jobs[2], accountId } });
      const second = await sut.entriesOf(me, owner, { limit: 4, before: first.nextCursor as string });
      expect(second.items.map((e) => e.kind)).toEqual(['escrow_reserve', 'escrow_reserve', 'deposit']);
      expect(second.nextCursor).toBeNull();
    });

    it('shows balances only to their owner', async () => {
      const accountId = await customer('1');
      const providerId = randomUUID();
      await expect(
        sut.customerBalances({ kind: 'account', accountId: randomUUID() }, accountId),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(sut.customerBalances({ kind: 'anonymous' }, accountId)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(sut.providerBalances({ kind: 'account', accountId }, providerId)).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        sut.entriesOf({ kind: 'provider', providerId: randomUUID() }, { kind: 'provider', providerId }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  it('finds the books balanced after every operation above', async () => {
    const report = await sut.checkInvariant();
    expect(report).toMatchObject({
      ok: true,
      entriesTotal: 0n,
      unbalancedJournals: [],
      mismatchedAccounts: [],
    });
    expect(report.journals).toBeGreaterThan(50);
  });
});
