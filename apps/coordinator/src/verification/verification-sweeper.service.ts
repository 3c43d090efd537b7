import { Inject, Injectable, Logger } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { VerificationService } from './verification.service';

/**
 * Fails spot-checks whose provider did not prove its samples by the deadline, and gives up those
 * no eligible provider took in time. Every replica sweeps; the verification row lock and state
 * check make a double outcome impossible.
 */
@Injectable()
export class VerificationSweeperService extends PeriodicSweep {
  protected readonly logger = new Logger(VerificationSweeperService.name);

  constructor(
    private readonly verification: VerificationService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {
    super();
  }

  protected get intervalMs(): number {
    return this.config.scheduler.sweepIntervalMs;
  }

  protected async pass(): Promise<number> {
    return (await this.verification.failOverdueProofs()) + (await this.verification.giveUpStalledChecks());
  }
}
