import { Module } from '@nestjs/common';
import { CrashPoints } from '../common/crash-points';
import { LedgerModule } from '../ledger/ledger.module';
import { PayoutBatcherService } from './payout-batcher.service';
import { PayoutSettlerService } from './payout-settler.service';
import { PayoutWorkerService } from './payout-worker.service';
import { PayoutsRepository } from './payouts.repository';
import { ProviderPayoutsResolver } from './payouts.resolver';
import { PayoutsService } from './payouts.service';
import { TokenAccountSetupsService } from './token-account-setups.service';

/** Provider payouts on chain: the batching worker and the public payout record (docs/payments.md). */
@Module({
  imports: [LedgerModule],
  providers: [
    CrashPoints,
    PayoutsRepository,
    TokenAccountSetupsService,
    PayoutBatcherService,
    PayoutSettlerService,
    PayoutWorkerService,
    PayoutsService,
    ProviderPayoutsResolver,
  ],
  exports: [PayoutsService],
})
export class PayoutsModule {}
