import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { RenderResolver } from './render.resolver';

@Module({
  imports: [JobsModule],
  providers: [RenderResolver],
})
export class RenderModule {}
