import { AccountState } from './svm';

export interface HistoricalAccount {
  address: string;
  account: AccountState;
}

/**
 * Lets reads at `confirmed` or `finalized` see the state as of that slot, not the newest one, as on a
 * real cluster: an undo log holding, per slot, each written account's state before that slot first
 * wrote it. The state at the end of slot S is the pre-image from the first later slot that wrote the
 * account, or the live state when none did. Slots at or below the root are never read at again and
 * are dropped.
 */
export class AccountHistory {
  private readonly undo = new Map<number, Map<string, AccountState | null>>();

  /** Remembers `before` unless `slot` already wrote `address` (the first pre-image is the one we need). */
  remember(slot: number, address: string, before: AccountState | null): void {
    let written = this.undo.get(slot);
    if (!written) this.undo.set(slot, (written = new Map()));
    if (!written.has(address)) written.set(address, before);
  }

  /** The account as it was at the end of `slot`, given its live state. */
  at(address: string, slot: number, live: AccountState | null): AccountState | null {
    for (const [written, preImages] of this.undo) {
      if (written > slot && preImages.has(address)) return preImages.get(address)!;
    }
    return live;
  }

  /** Addresses written after `slot`: they may have existed then even if they are gone now. */
  writtenAfter(slot: number): Set<string> {
    const addresses = new Set<string>();
    for (const [written, preImages] of this.undo) {
      if (written > slot) for (const address of preImages.keys()) addresses.add(address);
    }
    return addresses;
  }

  /** Forgets slots at or below the root. */
  prune(root: number): void {
    for (const slot of this.undo.keys()) {
      if (slot <= root) this.undo.delete(slot);
    }
  }
}
