import { Inject, Injectable, Logger } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { LeasesRepository } from './leases.repository';
import { SchedulerService } from './scheduler.service';

/**
 * Puts tasks whose lease ran out back in the queue. Every replica sweeps; the per-attempt row lock
 * and state check make a double expiry impossible, so no leader election is needed.
 */
@Injectable()
export class LeaseSweeperService extends PeriodicSweep {
  protected readonly logger = new Logger(LeaseSweeperService.name);

  constructor(
    private readonly leases: LeasesRepository,
    private readonly scheduler: SchedulerService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {
    super();
  }

  protected get intervalMs(): number {
    return this.config.scheduler.sweepIntervalMs;
  }

  /** Expires every overdue lease; returns how many this pass expired. */
  protected async pass(): Promise<number> {
    let expired = 0;
    for (const attempt of await this.leases.findExpired(500)) {
      if (await this.scheduler.expire(attempt.id, attempt.providerId)) expired++;
    }
    return expired;
  }
}
