import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * A sweep every replica runs on a timer: at most one pass at a time per replica, a failed pass is
 * logged and the next one tries again, and shutdown waits for the pass in progress. Passes must be
 * safe to run on several replicas at once (row locks and state checks, idempotent postings).
 */
export abstract class PeriodicSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  protected abstract readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  /** Milliseconds between passes. */
  protected abstract get intervalMs(): number;

  /** One pass; returns how many things it settled. */
  protected abstract pass(): Promise<number>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Runs a pass now (tests, and the timer); never throws. */
  async sweep(): Promise<number> {
    try {
      return await this.pass();
    } catch (error) {
      this.logger.error({ msg: `${this.constructor.name} pass failed`, err: error });
      return 0;
    }
  }
}
