import { Global, Module } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { ChainInfoService } from './chain-info.service';
import { ChainResolver } from './chain.resolver';
import { ChainService } from './chain.service';
import { TestTokensService } from './test-tokens.service';

/**
 * The Solana side of payments (DESIGN.md §6): ChainService is the only code that talks to the
 * cluster. Global, so deposits and payouts use the one connection (and the one embedded chain).
 */
@Global()
@Module({
  providers: [
    {
      provide: ChainService,
      inject: [COORDINATOR_CONFIG],
      useFactory: (config: CoordinatorConfig) => ChainService.connect(config.chain),
    },
    ChainInfoService,
    TestTokensService,
    ChainResolver,
  ],
  exports: [ChainService],
})
export class ChainModule {}
