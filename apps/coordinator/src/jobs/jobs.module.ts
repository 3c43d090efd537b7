import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsController } from './jobs.controller';
import { ProvidersModule } from '../providers/providers.module';
import { ModelInspectionModule } from '../models/model-inspection.module';
import { SceneInspectionModule } from '../render/scene-inspection.module';
import { AttemptsResolver, JobsResolver, TasksResolver } from './jobs.resolver';
import { JobCompletionService } from './job-completion.service';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';

@Module({
  imports: [BlobsModule, ProvidersModule, SceneInspectionModule, ModelInspectionModule, BillingModule],
  controllers: [JobsController],
  providers: [
    JobsRepository,
    JobsService,
    JobCompletionService,
    JobsResolver,
    TasksResolver,
    AttemptsResolver,
  ],
  exports: [JobsService, JobsRepository, JobCompletionService],
})
export class JobsModule {}
