import { Module } from '@nestjs/common';
import { MarketRepository } from './market.repository';
import { MarketResolver } from './market.resolver';
import { MarketService } from './market.service';

@Module({
  providers: [MarketRepository, MarketService, MarketResolver],
  exports: [MarketService],
})
export class MarketModule {}
