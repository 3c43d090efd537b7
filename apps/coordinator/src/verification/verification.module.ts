import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsModule } from '../jobs/jobs.module';
import { BillingModule } from '../billing/billing.module';
import { BillingService } from '../billing/billing.service';
import { SETTLEMENT_HOOKS } from './settlement-hooks';
import { VerificationSweeperService } from './verification-sweeper.service';
import { JobChecksResolver, TaskVerificationsResolver } from './verification.resolver';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

@Module({
  imports: [BlobsModule, JobsModule, BillingModule],
  providers: [
    VerificationRepository,
    VerificationService,
    VerificationSweeperService,
    TaskVerificationsResolver,
    JobChecksResolver,
    // Money follows verification through the ledger (billing/).
    { provide: SETTLEMENT_HOOKS, useExisting: BillingService },
  ],
  exports: [VerificationService, SETTLEMENT_HOOKS],
})
export class VerificationModule {}
