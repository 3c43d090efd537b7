import { ledgerAccount, LedgerAccountType } from './ledger-account';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { NewJournal, PostedJournal } from './ledger.types';

const ACCOUNT = '11111111-1111-4111-8111-111111111111';
const JOB = '22222222-2222-4222-8222-222222222222';
const TASK = '33333333-3333-4333-8333-333333333333';
const PROVIDER = '44444444-4444-4444-8444-444444444444';
const INTENT = '55555555-5555-4555-8555-555555555555';

describe('LedgerService', () => {
  let mocks: { ledger: jest.Mocked<Pick<LedgerRepository, 'post' | 'findAccount' | 'findJournal'>> };
  let sut: LedgerService;

  beforeEach(() => {
    mocks = {
      ledger: {
        post: jest.fn(async (j: NewJournal) => ({ ...j }) as unknown as PostedJournal),
        findAccount: jest.fn(async (_name: string) => ({
          name: `job:${JOB}:escrow`,
          type: LedgerAccountType.JOB_ESCROW,
          ownerId: ACCOUNT,
          jobId: JOB,
          balance: 10n,
        })),
        findJournal: jest.fn(),
      },
    };
    sut = new LedgerService(mocks.ledger as unknown as LedgerRepository);
  });

  const posted = () => mocks.ledger.post.mock.calls.map(([j]) => j);

  it('derives every idempotency key from the business ids alone, so a retry posts the same key', async () => {
    await sut.creditDeposit(ACCOUNT, 5n, 'SIG');
    await sut.reserve(JOB, ACCOUNT, 5n);
    await sut.captureTask(JOB, TASK, PROVIDER, 5n, 0);
    await sut.refundRemainder(JOB);
    await sut.holdBond(PROVIDER, 5n, { kind: 'deposit', signature: 'BOND' });
    await sut.holdBond(PROVIDER, 5n, { kind: 'earnings', key: 'week-1' });
    await sut.slashBond(PROVIDER, 5n, 'wrong frame', 'check-9');
    await sut.beginPayout(INTENT, PROVIDER, 5n);
    expect(posted().map((j) => [j.idempotencyKey, j.kind])).toEqual([
      ['deposit:SIG', 'deposit'],
      [`reserve:${JOB}`, 'escrow_reserve'],
      [`capture:${TASK}`, 'task_capture'],
      [`refund:${JOB}`, 'escrow_refund'],
      ['bond:deposit:BOND', 'bond_hold'],
      [`bond:hold:${PROVIDER}:week-1`, 'bond_hold'],
      ['slash:check-9', 'bond_slash'],
      [`payout:begin:${INTENT}`, 'payout_begin'],
    ]);
  });

  it('keeps the platform fee in basis points, rounded down, and leaves out a zero fee', async () => {
    await sut.captureTask(JOB, TASK, PROVIDER, 999n, 250);
    await sut.captureTask(JOB, TASK, PROVIDER, 999n, 0);
    const [withFee, withoutFee] = posted();
    expect(withFee.entries.map((e) => [e.account.name, e.amount])).toEqual([
      [`job:${JOB}:escrow`, -999n],
      [`provider:${PROVIDER}:earnings`, 975n],
      ['platform:fees', 24n],
    ]);
    expect(withoutFee.entries.map((e) => e.amount)).toEqual([-999n, 999n]);
  });

  it('ends a payout under one key whether it completes or is cancelled, for the amount begun', async () => {
    mocks.ledger.findJournal.mockResolvedValue({
      refs: { providerId: PROVIDER, payoutIntentId: INTENT },
      entries: [
        { account: `provider:${PROVIDER}:earnings`, type: LedgerAccountType.PROVIDER_EARNINGS, amount: -7n },
        {
          account: `provider:${PROVIDER}:payouts`,
          type: LedgerAccountType.PROVIDER_PAYOUTS_IN_FLIGHT,
          amount: 7n,
        },
      ],
    } as PostedJournal);
    await sut.completePayout(INTENT, 'SIG');
    await sut.cancelPayout(INTENT);
    const [complete, cancel] = posted();
    expect(mocks.ledger.findJournal).toHaveBeenCalledWith(`payout:begin:${INTENT}`);
    expect([complete.idempotencyKey, cancel.idempotencyKey]).toEqual([
      `payout:end:${INTENT}`,
      `payout:end:${INTENT}`,
    ]);
    expect(complete.entries).toEqual([
      { account: ledgerAccount.providerPayoutsInFlight(PROVIDER), amount: -7n },
      { account: ledgerAccount.treasury(), amount: 7n },
    ]);
    expect(cancel.entries[1]).toEqual({ account: ledgerAccount.providerEarnings(PROVIDER), amount: 7n });
  });

  it('refuses a payout that was never begun, and a fee outside 0 to 10 000 basis points', async () => {
    mocks.ledger.findJournal.mockResolvedValue(undefined);
    await expect(sut.completePayout(INTENT, 'SIG')).rejects.toMatchObject({ code: 'PAYOUT_NOT_FOUND' });
    await expect(sut.captureTask(JOB, TASK, PROVIDER, 5n, 10_001)).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(sut.captureTask(JOB, TASK, PROVIDER, 5n, 2.5)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(mocks.ledger.post).not.toHaveBeenCalled();
  });
});
