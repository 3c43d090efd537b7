import { AppError } from '../common/app-error';
import { formatTsr, MAX_UNITS, parseTsr, requirePositive, UNITS_PER_TSR } from './amount';

describe('TSR amounts', () => {
  it('converts decimal strings to base units exactly', () => {
    expect(parseTsr('12.5')).toBe(12_500_000n);
    expect(parseTsr('0')).toBe(0n);
    expect(parseTsr('1')).toBe(UNITS_PER_TSR);
    expect(parseTsr('0.000001')).toBe(1n);
    expect(parseTsr('3.500000')).toBe(3_500_000n);
    expect(parseTsr('007.25')).toBe(7_250_000n);
    expect(parseTsr('-1.5')).toBe(-1_500_000n);
    // 0.1 + 0.2 is where floats go wrong; base units never do.
    expect(parseTsr('0.1') + parseTsr('0.2')).toBe(parseTsr('0.3'));
  });

  it('is exact far beyond 2^53 base units', () => {
    expect(parseTsr('9223372036854.775807')).toBe(MAX_UNITS);
    expect(parseTsr('9007199254.740993')).toBe(9_007_199_254_740_993n);
    expect(formatTsr(9_007_199_254_740_993n)).toBe('9007199254.740993');
  });

  it('refuses more than 6 decimals, saying how many there were', () => {
    expect(() => parseTsr('1.1234567')).toThrow('has 7 decimals; TSR has at most 6');
    expect(() => parseTsr('0.0000001')).toThrow(AppError);
  });

  it.each(['', ' 1', '1 ', '+1', '1.', '.5', '1e6', '1,5', '0x10', 'NaN', 'Infinity', '--1', '1.2.3'])(
    'refuses %j as not a decimal amount',
    (text) => {
      expect(() => parseTsr(text, 'price')).toThrow(
        expect.objectContaining({ code: 'BAD_INPUT', field: 'price' }),
      );
    },
  );

  it('refuses amounts outside a PostgreSQL bigint', () => {
    expect(() => parseTsr('9223372036854.775808')).toThrow('out of range');
    expect(parseTsr('-9223372036854.775808')).toBe(-(2n ** 63n));
    expect(() => parseTsr('-9223372036854.775809')).toThrow('out of range');
  });

  it('formats base units in the shortest exact form', () => {
    expect(formatTsr(12_500_000n)).toBe('12.5');
    expect(formatTsr(5_000_000n)).toBe('5');
    expect(formatTsr(0n)).toBe('0');
    expect(formatTsr(1n)).toBe('0.000001');
    expect(formatTsr(1_000_010n)).toBe('1.00001');
    expect(formatTsr(-1_500_000n)).toBe('-1.5');
    expect(formatTsr(-1n)).toBe('-0.000001');
  });

  it('round-trips every format through parse', () => {
    for (const units of [0n, 1n, 999_999n, 1_000_000n, 123_456_789n, -42n, MAX_UNITS]) {
      expect(parseTsr(formatTsr(units))).toBe(units);
    }
  });

  it('accepts only positive amounts where one is required', () => {
    expect(requirePositive(1n)).toBe(1n);
    expect(() => requirePositive(0n, 'price')).toThrow('price must be a positive number of base units');
    expect(() => requirePositive(-5n)).toThrow(AppError);
    expect(() => requirePositive(MAX_UNITS + 1n)).toThrow(AppError);
  });
});
