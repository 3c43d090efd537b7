import { Global, Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}

@Module({
  imports: [MetricsModule, JobsModule],
  controllers: [HealthController],
})
export class HealthModule {}
