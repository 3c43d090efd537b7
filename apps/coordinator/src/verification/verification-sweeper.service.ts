import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { VerificationService } from './verification.service';

/**
 * Fails spot-checks whose provider did not prove its samples by the deadline, and gives up those
 * no eligible provider took in time. Every replica sweeps;
 * the verification row lock and state check make a double outcome impossible.
 */
@Injectable()
export class VerificationSweeperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(VerificationSweeperService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly verification: VerificationService,
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

  /** Fails overdue proofs and gives up checks nobody could take; returns how many it ended. */
  async sweep(): Promise<number> {
    try {
      return (await this.verification.failOverdueProofs()) + (await this.verification.giveUpStalledChecks());
    } catch (error) {
      this.logger.error({ msg: 'proof sweep failed', err: error });
      return 0;
    }
  }
}
