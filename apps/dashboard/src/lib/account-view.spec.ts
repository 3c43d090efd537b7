import { describe, expect, it } from 'vitest';
import {
  checkKeyLabel,
  keyStatus,
  ledgerAccountLabel,
  ledgerKindLabel,
  liveKeyCount,
  signedAmount,
  sortKeys,
} from './account-view';

describe('account view', () => {
  it('says what each ledger entry was in words', () => {
    expect(ledgerKindLabel({ kind: 'deposit', memo: null })).toBe('Deposit');
    expect(ledgerKindLabel({ kind: 'escrow_reserve', memo: null })).toBe('Reserved for a job');
    expect(ledgerKindLabel({ kind: 'task_capture', memo: null })).toBe('Charged for accepted work');
    expect(ledgerKindLabel({ kind: 'escrow_refund', memo: null })).toBe('Unused reservation returned');
    expect(ledgerKindLabel({ kind: 'adjustment', memo: 'signup credit (local cluster)' })).toBe(
      'Signup credit',
    );
    expect(ledgerKindLabel({ kind: 'adjustment', memo: 'goodwill' })).toBe('Adjustment');
    expect(ledgerKindLabel({ kind: 'some_new_kind', memo: null })).toBe('Some new kind');
  });

  it('names the two ledger accounts of a customer', () => {
    expect(ledgerAccountLabel('available')).toBe('Spendable');
    expect(ledgerAccountLabel('escrow')).toBe('Job escrow');
  });

  it('signs amounts with a real minus and a plus, exact to the last decimal', () => {
    expect(signedAmount('100.000000', 'TSR')).toEqual({ text: '+100 TSR', tone: 'in' });
    expect(signedAmount('-2.500001', 'TSR')).toEqual({ text: '−2.500001 TSR', tone: 'out' });
    expect(signedAmount('0', 'TSR')).toEqual({ text: '0 TSR', tone: 'zero' });
    expect(signedAmount('-0.000000', 'TSR')).toEqual({ text: '0 TSR', tone: 'zero' });
  });

  it('tells the key in use from other live keys and revoked ones', () => {
    expect(keyStatus({ current: true, revokedAt: null })).toBe('in use');
    expect(keyStatus({ current: false, revokedAt: null })).toBe('live');
    expect(keyStatus({ current: true, revokedAt: '2026-01-01T00:00:00Z' })).toBe('revoked');
  });

  it('lists the key in use first, then other live keys, then revoked ones, newest first within each', () => {
    const key = (label: string, createdAt: string, current = false, revokedAt: string | null = null) => ({
      label,
      createdAt,
      current,
      revokedAt,
    });
    const sorted = sortKeys([
      key('old revoked', '2026-01-01T00:00:00Z', false, '2026-01-05T00:00:00Z'),
      key('old live', '2026-01-02T00:00:00Z'),
      key('this browser', '2026-01-01T00:00:00Z', true),
      key('new live', '2026-01-03T00:00:00Z'),
      key('new revoked', '2026-01-04T00:00:00Z', false, '2026-01-05T00:00:00Z'),
    ]);
    expect(sorted.map((k) => k.label)).toEqual([
      'this browser',
      'new live',
      'old live',
      'new revoked',
      'old revoked',
    ]);
    expect(liveKeyCount(sorted)).toBe(3);
  });

  it('checks a key label as the coordinator does: trimmed, 1 to 100 characters', () => {
    expect(checkKeyLabel('  laptop ')).toEqual({ label: 'laptop' });
    expect(checkKeyLabel('   ')).toEqual({ error: expect.stringMatching(/Give the key a label/) });
    expect(checkKeyLabel('x'.repeat(100))).toEqual({ label: 'x'.repeat(100) });
    expect(checkKeyLabel('x'.repeat(101))).toEqual({ error: 'The label is 101 characters; at most 100.' });
  });
});
