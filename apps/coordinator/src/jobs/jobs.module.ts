import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { JobsController } from './jobs.controller';
import { ProvidersModule } from '../providers/providers.module';
import { ModelInspectionModule } from '../models/model-inspection.module';
import { SceneInspectionModule } from '../render/scene-inspection.module';
import { AttemptsResolver, JobsResolver, TasksResolver } from './jobs.resolver';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';

@Module({
  imports: [BlobsModule, ProvidersModule, SceneInspectionModule, ModelInspectionModule],
  controllers: [JobsController],
  providers: [JobsRepository, JobsService, JobsResolver, TasksResolver, AttemptsResolver],
  exports: [JobsService, JobsRepository],
})
export class JobsModule {}
