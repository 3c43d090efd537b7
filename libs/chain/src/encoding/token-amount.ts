/** A token amount as devnet prints it: raw string, decimals, float, and exact decimal string. */
export interface UiTokenAmount {
  amount: string;
  decimals: number;
  uiAmount: number | null;
  uiAmountString: string;
}

export function uiTokenAmount(amount: bigint, decimals: number): UiTokenAmount {
  // Agave divides by 10^decimals as a usize; past 10^19 that overflows and uiAmount is null.
  const uiAmount = decimals <= 19 ? Number(amount) / 10 ** decimals : null;
  return { amount: amount.toString(), decimals, uiAmount, uiAmountString: decimalString(amount, decimals) };
}

/** `1500000` with 6 decimals is `"1.5"`; trailing zeros and a bare point are trimmed. */
export function decimalString(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}
