import { Args, Context, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { GqlContext } from '../graphql/gql-context';
import { ProviderDto, ProviderStatsDto } from './dtos/provider.dto';
import { ProvidersService } from './providers.service';

@Resolver(() => ProviderDto)
export class ProvidersResolver {
  constructor(private readonly providersService: ProvidersService) {}

  @Query(() => [ProviderDto], { description: 'Providers in the market, most recently seen first.' })
  providers(
    @CurrentActor() actor: Actor,
    @Args('onlineOnly', { defaultValue: false }) onlineOnly: boolean,
    @Args('limit', { type: () => Int, defaultValue: 100 }) limit: number,
  ): Promise<ProviderDto[]> {
    return this.providersService.list(actor, { onlineOnly, limit: Math.min(Math.max(limit, 1), 1000) });
  }

  @Query(() => ProviderDto, { description: 'One provider, by its id or its Solana address.' })
  provider(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<ProviderDto> {
    return this.providersService.get(actor, id);
  }

  @ResolveField(() => ProviderStatsDto, { description: 'Attempt outcomes over its lifetime.' })
  stats(@Parent() provider: ProviderDto, @Context() context: GqlContext): Promise<ProviderStatsDto> {
    return context.loaders.providerStats.load(provider.id);
  }
}
