import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsModule } from '../jobs/jobs.module';
import { VerificationModule } from '../verification/verification.module';
import { LeaseSweeperService } from './lease-sweeper.service';
import { LeasesRepository } from './leases.repository';
import { SchedulerService } from './scheduler.service';

@Module({
  imports: [BlobsModule, JobsModule, VerificationModule, BillingModule],
  providers: [LeasesRepository, SchedulerService, LeaseSweeperService],
  exports: [SchedulerService],
})
export class SchedulerModule {}
