import { formatTokenAmount, parseTokenAmount } from './token-amount';

describe('token amounts', () => {
  it('parse decimals exactly into base units and back', () => {
    expect(parseTokenAmount('25', 6)).toBe(25_000_000n);
    expect(parseTokenAmount('12.5', 6)).toBe(12_500_000n);
    expect(parseTokenAmount('0.000001', 6)).toBe(1n);
    expect(formatTokenAmount(12_500_000n, 6)).toBe('12.5');
    expect(formatTokenAmount(25_000_000n, 6)).toBe('25');
  });

  it('refuse what is not a positive amount the token can hold, saying why', () => {
    expect(() => parseTokenAmount('1e3', 6)).toThrow(
      'amount: "1e3" is not a token amount such as 25 or 12.5',
    );
    expect(() => parseTokenAmount('0.0000001', 6)).toThrow('has 7 decimals; the token has 6');
    expect(() => parseTokenAmount('0', 6)).toThrow('must be more than 0');
    expect(() => parseTokenAmount('-1', 6)).toThrow('is not a token amount');
  });
});
