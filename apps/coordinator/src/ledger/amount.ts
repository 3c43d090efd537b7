import { ValueTransformer } from 'typeorm';
import { AppError } from '../common/app-error';

/**
 * Token amounts. Money is an integer number of the SPL token's base units (`bigint`), never a float:
 * TSR has 6 decimals, so 1 TSR = 1_000_000 units. Decimal strings ("12.5") exist only at the edges
 * (input, messages) and convert exactly, digit by digit.
 */
export const TSR_DECIMALS = 6;
export const UNITS_PER_TSR = 10n ** BigInt(TSR_DECIMALS);

/** The range of a PostgreSQL bigint, which every amount column is. */
export const MAX_UNITS = 2n ** 63n - 1n;
const MIN_UNITS = -(2n ** 63n);

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * "12.5" → 12_500_000n. Accepts an optional minus sign, digits, and an optional fraction of at most
 * 6 digits; refuses anything else (exponents, "+", spaces, ".5", "1.") with BAD_INPUT naming `field`.
 */
export function parseTsr(text: string, field = 'amount'): bigint {
  const match = DECIMAL.exec(text);
  if (!match) {
    throw new AppError('BAD_INPUT', `${field} "${text}" is not a decimal TSR amount such as 12.5`, field);
  }
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > TSR_DECIMALS) {
    throw new AppError(
      'BAD_INPUT',
      `${field} "${text}" has ${fraction.length} decimals; TSR has at most ${TSR_DECIMALS}`,
      field,
    );
  }
  const magnitude = BigInt(whole) * UNITS_PER_TSR + BigInt(fraction.padEnd(TSR_DECIMALS, '0'));
  const units = sign === '-' ? -magnitude : magnitude;
  if (units > MAX_UNITS || units < MIN_UNITS) {
    throw new AppError('BAD_INPUT', `${field} "${text}" is out of range`, field);
  }
  return units;
}

/** 12_500_000n → "12.5": exact, shortest form (no trailing zeros, no decimal point for whole TSR). */
export function formatTsr(units: bigint): string {
  const magnitude = units < 0n ? -units : units;
  const whole = magnitude / UNITS_PER_TSR;
  const fraction = (magnitude % UNITS_PER_TSR).toString().padStart(TSR_DECIMALS, '0').replace(/0+$/, '');
  return `${units < 0n ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Refuses zero, negative and out-of-range amounts where only a positive amount makes sense. */
export function requirePositive(units: bigint, field = 'amount'): bigint {
  if (typeof units !== 'bigint' || units <= 0n || units > MAX_UNITS) {
    throw new AppError(
      'BAD_INPUT',
      `${field} must be a positive number of base units, got ${String(units)}`,
      field,
    );
  }
  return units;
}

/** int8 columns ↔ bigint (pg hands bigint columns over as strings; money needs all 64 bits). */
export const bigintUnits: ValueTransformer = {
  to: (value: bigint | null | undefined) => (typeof value === 'bigint' ? value.toString() : value),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};
