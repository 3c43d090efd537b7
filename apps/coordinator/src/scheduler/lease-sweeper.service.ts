import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { LeasesRepository } from './leases.repository';
import { SchedulerService } from './scheduler.service';

/**
 * Puts tasks whose lease ran out back in the queue. Every replica sweeps; the per-attempt row lock
 * and state check make a double expiry impossible, so no leader election is needed.
 */
@Injectable()
export class LeaseSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LeaseSweeperService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly leases: LeasesRepository,
    private readonly scheduler: SchedulerService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.sweep().finally(() => (this.running = undefined));
    }, this.config.scheduler.sweepIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Expires every overdue lease; returns how many this call expired. */
  async sweep(): Promise<number> {
    let expired = 0;
    try {
      for (const attempt of await this.leases.findExpired(500)) {
        if (await this.scheduler.expire(attempt.id, attempt.providerId)) expired++;
      }
    } catch (error) {
      this.logger.error({ msg: 'lease sweep failed', err: error });
    }
    return expired;
  }
}
