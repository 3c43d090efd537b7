import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BillingService } from './billing.service';

const SWEEP_MS = 15_000;

/**
 * Settles money a crash left half-done: accepted tasks never charged, ended jobs never refunded.
 * Every posting is idempotent, so replicas sweeping at once move nothing twice.
 */
@Injectable()
export class BillingSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BillingSweeperService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(private readonly billing: BillingService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    }, SWEEP_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<number> {
    try {
      return await this.billing.reconcile();
    } catch (error) {
      this.logger.error({ msg: 'billing sweep failed', err: error });
      return 0;
    }
  }
}
