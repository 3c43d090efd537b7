import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsModule } from '../jobs/jobs.module';
import { LoggingSettlementHooks, SETTLEMENT_HOOKS } from './settlement-hooks';
import { VerificationSweeperService } from './verification-sweeper.service';
import { JobChecksResolver, TaskVerificationsResolver } from './verification.resolver';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

@Module({
  imports: [BlobsModule, JobsModule],
  providers: [
    VerificationRepository,
    VerificationService,
    VerificationSweeperService,
    TaskVerificationsResolver,
    JobChecksResolver,
    { provide: SETTLEMENT_HOOKS, useClass: LoggingSettlementHooks },
  ],
  exports: [VerificationService, SETTLEMENT_HOOKS],
})
export class VerificationModule {}
