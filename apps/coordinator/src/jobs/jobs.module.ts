import { Module } from '@nestjs/common';
import { BlobsModule } from '../blobs/blobs.module';
import { AttemptsResolver, JobsResolver, TasksResolver } from './jobs.resolver';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';

@Module({
  imports: [BlobsModule],
  providers: [JobsRepository, JobsService, JobsResolver, TasksResolver, AttemptsResolver],
  exports: [JobsService, JobsRepository],
})
export class JobsModule {}
