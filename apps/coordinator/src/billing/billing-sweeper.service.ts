import { Injectable, Logger } from '@nestjs/common';
import { PeriodicSweep } from '../common/periodic-sweep';
import { BillingService } from './billing.service';

/**
 * Settles money a crash left half-done: accepted tasks never charged, ended jobs never refunded.
 * Every posting is idempotent, so replicas sweeping at once move nothing twice.
 */
@Injectable()
export class BillingSweeperService extends PeriodicSweep {
  protected readonly logger = new Logger(BillingSweeperService.name);
  protected readonly intervalMs = 15_000;

  constructor(private readonly billing: BillingService) {
    super();
  }

  protected pass(): Promise<number> {
    return this.billing.reconcile();
  }
}
