import type { Client as WsClient } from 'graphql-ws';

/**
 * Records every event of one subscription, so a test can drive the system step by step and wait for
 * the event each step should cause (`collectUntil` only waits for the last one).
 */
export class SubscriptionRecorder<T> {
  readonly events: T[] = [];
  /** Set when the server ended the subscription with errors (GraphQL errors or a closed socket). */
  error?: unknown;
  completed = false;
  private waiters: (() => void)[] = [];
  private readonly dispose: () => void;

  constructor(client: WsClient, query: string, variables: Record<string, unknown> = {}) {
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors?.length) this.error = value.errors;
          else this.events.push(value.data as T);
          this.notify();
        },
        error: (error) => {
          this.error = error;
          this.notify();
        },
        complete: () => {
          this.completed = true;
          this.notify();
        },
      },
    );
  }

  /** Resolves with the first recorded event (from the start) that matches; rejects on error or timeout. */
  waitFor(match: (event: T) => boolean, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(match);
        if (found !== undefined) resolve(found);
        else if (this.error !== undefined) reject(new Error(`subscription failed: ${describe(this.error)}`));
        else if (this.completed) reject(new Error('subscription completed without a matching event'));
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no matching subscription event within ${timeoutMs} ms; last: ${JSON.stringify(this.events.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves with the error that ended the subscription; rejects if it delivers data or times out. */
  failure(timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.error !== undefined) resolve(this.error);
        else if (this.events.length)
          reject(new Error(`expected an error, got ${JSON.stringify(this.events[0])}`));
        else if (this.completed) reject(new Error('expected an error, the subscription completed'));
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => reject(new Error(`no error within ${timeoutMs} ms`)), timeoutMs);
      const waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
    });
  }

  stop(): void {
    this.dispose();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (close && typeof close.code === 'number')
    return `socket closed ${close.code} ${String(close.reason ?? '')}`;
  return JSON.stringify(error);
}
