import { Module } from '@nestjs/common';
import { ProvidersRepository } from './providers.repository';
import { ProvidersResolver } from './providers.resolver';
import { ProvidersService } from './providers.service';

@Module({
  providers: [ProvidersRepository, ProvidersService, ProvidersResolver],
  exports: [ProvidersService],
})
export class ProvidersModule {}
