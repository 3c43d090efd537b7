import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { SchedulerModule } from '../scheduler/scheduler.module';
import { VerificationModule } from '../verification/verification.module';
import { ProviderGateway } from './provider-gateway';

@Module({
  imports: [SchedulerModule, ProvidersModule, VerificationModule],
  providers: [ProviderGateway],
  exports: [ProviderGateway],
})
export class GatewayModule {}
