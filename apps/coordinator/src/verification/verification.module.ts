import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsModule } from '../jobs/jobs.module';
import { BillingModule } from '../billing/billing.module';
import { BillingService } from '../billing/billing.service';
import { SETTLEMENT_HOOKS } from './settlement-hooks';
import { CheckPlanner } from './check-planner.service';
import { CheckRecordsRepository } from './check-records.repository';
import { VerificationOutcomes } from './verification-outcomes.service';
import { VerificationSweeperService } from './verification-sweeper.service';
import { JobChecksResolver, TaskVerificationsResolver } from './verification.resolver';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

@Module({
  imports: [BlobsModule, JobsModule, BillingModule],
  providers: [
    VerificationRepository,
    CheckRecordsRepository,
    VerificationService,
    CheckPlanner,
    VerificationOutcomes,
    VerificationSweeperService,
    TaskVerificationsResolver,
    JobChecksResolver,
    // Money follows verification through the ledger (billing/).
    { provide: SETTLEMENT_HOOKS, useExisting: BillingService },
  ],
  exports: [VerificationService, SETTLEMENT_HOOKS],
})
export class VerificationModule {}
