import { Args, Context, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { GqlContext } from '../graphql/gql-context';
import { loaderFor } from '../graphql/request-loaders';
import { ProviderDto, ProviderStatsDto } from './dtos/provider.dto';
import { ProviderTaskDto } from './dtos/provider-task.dto';
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

  @ResolveField(() => [ProviderTaskDto], {
    description:
      'Tasks it holds now (leased or running), oldest first: kind and items only. Public, so it names no job or customer.',
  })
  currentTasks(
    @CurrentActor() actor: Actor,
    @Parent() provider: ProviderDto,
    @Context() context: GqlContext,
  ): Promise<ProviderTaskDto[]> {
    return loaderFor(context, 'currentTasks', (ids) => this.providersService.currentTasks(actor, ids)).load(
      provider.id,
    );
  }

  @ResolveField(() => [ProviderTaskDto], {
    description:
      'Its last attempts that ended, newest first, with their outcome (1 to 50; default 10). Public, so it names no job or customer.',
  })
  recentAttempts(
    @CurrentActor() actor: Actor,
    @Parent() provider: ProviderDto,
    @Context() context: GqlContext,
    @Args('limit', { type: () => Int, defaultValue: 10 }) limit: number,
  ): Promise<ProviderTaskDto[]> {
    return loaderFor(context, `recentAttempts:${limit}`, (ids) =>
      this.providersService.recentAttempts(actor, ids, limit),
    ).load(provider.id);
  }
}
