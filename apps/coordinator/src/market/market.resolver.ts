import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { MarketStatsDto } from './dtos/market-stats.dto';
import { MarketService } from './market.service';

@Resolver(() => MarketStatsDto)
export class MarketResolver {
  constructor(private readonly marketService: MarketService) {}

  @Query(() => MarketStatsDto, {
    description:
      'Work the market finished in the last `windowMinutes` (5 to 1440; default 60), by job kind: tasks, items, run time and prices paid. Public.',
  })
  marketStats(
    @CurrentActor() actor: Actor,
    @Args('windowMinutes', { type: () => Int, defaultValue: 60 }) windowMinutes: number,
  ): Promise<MarketStatsDto> {
    return this.marketService.stats(actor, windowMinutes);
  }
}
