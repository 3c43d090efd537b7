import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { BillingSweeperService } from './billing-sweeper.service';
import { AccountBalanceResolver, JobCostResolver } from './billing.resolver';
import { BillingRepository } from './billing.repository';
import { BillingService } from './billing.service';

/** Jobs and verification meet the ledger here: escrow, charges, refunds, bonds. */
@Module({
  imports: [LedgerModule],
  providers: [
    BillingRepository,
    BillingService,
    BillingSweeperService,
    AccountBalanceResolver,
    JobCostResolver,
  ],
  exports: [BillingService],
})
export class BillingModule {}
