/**
 * Agents whose claim found no work wait here (long poll) instead of polling: when work is queued
 * they are woken to claim again, so an idle fleet starts a new task within one round trip of its
 * submission.
 */
export class ClaimWaiters {
  private readonly waiters = new Set<{ kinds: readonly string[]; wake: () => void }>();

  /** Resolves when work of one of `kinds` may be available, or after `timeoutMs`; `cancel` ends it early. */
  wait(
    kinds: readonly string[],
    timeoutMs: number,
  ): { promise: Promise<'woken' | 'timeout'>; cancel: () => void } {
    let settle!: (outcome: 'woken' | 'timeout') => void;
    const promise = new Promise<'woken' | 'timeout'>((resolve) => (settle = resolve));
    const waiter = {
      kinds,
      wake: () => {
        cleanup();
        settle('woken');
      },
    };
    const timer = setTimeout(() => {
      cleanup();
      settle('timeout');
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    };
    this.waiters.add(waiter);
    return {
      promise,
      cancel: () => {
        cleanup();
        settle('timeout');
      },
    };
  }

  /**
   * Wakes every waiter that runs `kind` ('any' wakes all). All of them, not just one: the first
   * woken agent may not fit the task (too little memory, no GPU) while another would.
   */
  wake(kind: string): void {
    for (const waiter of [...this.waiters]) {
      if (kind === 'any' || waiter.kinds.includes(kind)) waiter.wake();
    }
  }

  get size(): number {
    return this.waiters.size;
  }
}
