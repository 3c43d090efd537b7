import { CliError } from '../cli-error';

/** `"12.5"` with 6 decimals → 12_500_000n; refuses anything but a positive decimal with at most `decimals`. */
export function parseTokenAmount(text: string, decimals: number, what = 'amount'): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new CliError(`${what}: "${text}" is not a token amount such as 25 or 12.5`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > decimals) {
    throw new CliError(`${what}: "${text}" has ${fraction.length} decimals; the token has ${decimals}`);
  }
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (units <= 0n) throw new CliError(`${what}: must be more than 0`);
  return units;
}

/** 12_500_000n with 6 decimals → `"12.5"`. */
export function formatTokenAmount(units: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const fraction = (units % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${units / scale}${fraction ? `.${fraction}` : ''}`;
}
