import { decimalString, uiTokenAmount } from './token-amount';

describe('uiTokenAmount', () => {
  it('prints amounts as devnet does: raw string, float and trimmed decimal string', () => {
    expect(uiTokenAmount(1_500_000n, 6)).toEqual({
      amount: '1500000',
      decimals: 6,
      uiAmount: 1.5,
      uiAmountString: '1.5',
    });
    expect(uiTokenAmount(0n, 6)).toEqual({ amount: '0', decimals: 6, uiAmount: 0, uiAmountString: '0' });
    expect(uiTokenAmount(42n, 0)).toEqual({ amount: '42', decimals: 0, uiAmount: 42, uiAmountString: '42' });
  });

  it('keeps the exact value in uiAmountString where the float rounds', () => {
    const amount = 18_446_744_073_709_551_615n; // u64::MAX
    expect(uiTokenAmount(amount, 9).uiAmountString).toBe('18446744073.709551615');
  });

  it('has no float for decimals past what a u64 power of ten holds', () => {
    expect(uiTokenAmount(1n, 20).uiAmount).toBeNull();
  });
});

describe('decimalString', () => {
  it.each([
    [1n, 6, '0.000001'],
    [10n, 1, '1'],
    [1_000_000n, 6, '1'],
    [1_230_000n, 6, '1.23'],
    [123n, 2, '1.23'],
  ])('%s with %s decimals is %s', (amount, decimals, expected) => {
    expect(decimalString(amount, decimals)).toBe(expected);
  });
});
