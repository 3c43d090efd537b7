import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { SchedulerModule } from '../scheduler/scheduler.module';
import { ProviderGateway } from './provider-gateway';

@Module({
  imports: [SchedulerModule, ProvidersModule],
  providers: [ProviderGateway],
  exports: [ProviderGateway],
})
export class GatewayModule {}
