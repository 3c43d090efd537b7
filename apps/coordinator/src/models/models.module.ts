import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { InferenceJobResolver, ModelsResolver } from './models.resolver';
import { ModelInspectionModule } from './model-inspection.module';

@Module({
  imports: [JobsModule, ModelInspectionModule],
  providers: [ModelsResolver, InferenceJobResolver],
})
export class ModelsModule {}
