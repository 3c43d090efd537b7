import type { ApiKeyView, LedgerEntryView } from '../api/operations';
import { formatTokens } from './format';

/** Ledger journal kinds a customer meets, in words. */
const KIND_WORDS: Record<string, string> = {
  deposit: 'Deposit',
  escrow_reserve: 'Reserved for a job',
  task_capture: 'Charged for accepted work',
  escrow_refund: 'Unused reservation returned',
  adjustment: 'Adjustment',
};

/** "Reserved for a job"; a signup credit by its memo; an unknown kind as itself, readable. */
export function ledgerKindLabel(entry: Pick<LedgerEntryView, 'kind' | 'memo'>): string {
  if (entry.kind === 'adjustment' && entry.memo?.toLowerCase().startsWith('signup credit')) {
    return 'Signup credit';
  }
  const words = KIND_WORDS[entry.kind];
  if (words) return words;
  const spaced = entry.kind.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/**
 * Which of the customer's two ledger accounts an entry moved: the spendable balance, or a job's
 * escrow (what the balance calls "reserved").
 */
export function ledgerAccountLabel(account: string): string {
  return account === 'escrow' ? 'Job escrow' : account === 'available' ? 'Spendable' : account;
}

/** "+10 TSR" / "−2.5 TSR", with a tone for colour; the sign, not the colour, carries the meaning. */
export function signedAmount(
  amount: string,
  currency: string,
): { text: string; tone: 'in' | 'out' | 'zero' } {
  const negative = amount.trim().startsWith('-');
  const magnitude = formatTokens(negative ? amount.trim().slice(1) : amount.trim(), currency);
  if (/^-?0*(\.0*)?$/.test(amount.trim())) return { text: formatTokens('0', currency), tone: 'zero' };
  return negative ? { text: `−${magnitude}`, tone: 'out' } : { text: `+${magnitude}`, tone: 'in' };
}

export type KeyStatus = 'in use' | 'live' | 'revoked';

export function keyStatus(key: Pick<ApiKeyView, 'current' | 'revokedAt'>): KeyStatus {
  if (key.revokedAt) return 'revoked';
  return key.current ? 'in use' : 'live';
}

/** Live keys first (the one in use at the top), then revoked ones; newest first within each. */
export function sortKeys<K extends Pick<ApiKeyView, 'current' | 'revokedAt' | 'createdAt'>>(
  keys: readonly K[],
): K[] {
  const rank = (k: K) => (k.revokedAt ? 2 : k.current ? 0 : 1);
  return [...keys].sort((a, b) => rank(a) - rank(b) || Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/** Live keys: the last of them cannot be revoked (the coordinator refuses; the page says so first). */
export function liveKeyCount(keys: readonly Pick<ApiKeyView, 'revokedAt'>[]): number {
  return keys.filter((k) => !k.revokedAt).length;
}

/** A label as the coordinator will keep it, or what is wrong with it. */
export function checkKeyLabel(label: string): { label: string } | { error: string } {
  const trimmed = label.trim();
  if (!trimmed) return { error: 'Give the key a label, e.g. "laptop" or "CI".' };
  if (trimmed.length > 100) return { error: `The label is ${trimmed.length} characters; at most 100.` };
  return { label: trimmed };
}
