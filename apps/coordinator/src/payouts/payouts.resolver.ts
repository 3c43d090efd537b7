import { Args, Context, Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { GqlContext } from '../graphql/gql-context';
import { ProviderDto } from '../providers/dtos/provider.dto';
import { EarningsDto, PayoutDto } from './dtos/payout.dto';
import { PayoutsService } from './payouts.service';

/** Per-request loaders, kept beside the request's context, so a list of providers costs two queries. */
const loaders = new WeakMap<object, Map<string, DataLoader<string, unknown>>>();

function loaderFor<V>(
  context: object,
  key: string,
  batch: (ids: readonly string[]) => Promise<V[]>,
): DataLoader<string, V> {
  let byKey = loaders.get(context);
  if (!byKey) loaders.set(context, (byKey = new Map()));
  let loader = byKey.get(key) as DataLoader<string, V> | undefined;
  if (!loader) byKey.set(key, (loader = new DataLoader<string, V>(batch)));
  return loader;
}

@Resolver(() => ProviderDto)
export class ProviderPayoutsResolver {
  constructor(private readonly payoutsService: PayoutsService) {}

  @ResolveField(() => [PayoutDto], { description: 'Its payouts, newest first.' })
  payouts(
    @CurrentActor() actor: Actor,
    @Parent() provider: ProviderDto,
    @Context() context: GqlContext,
    @Args('limit', { type: () => Int, defaultValue: 20 }) limit: number,
  ): Promise<PayoutDto[]> {
    return loaderFor(context, `payouts:${limit}`, (ids) =>
      this.payoutsService.payoutsOf(actor, ids, limit),
    ).load(provider.id);
  }

  @ResolveField(() => EarningsDto, { description: 'What it earned: pending, in flight and paid.' })
  earnings(
    @CurrentActor() actor: Actor,
    @Parent() provider: ProviderDto,
    @Context() context: GqlContext,
  ): Promise<EarningsDto> {
    return loaderFor(context, 'earnings', (ids) => this.payoutsService.earningsOf(actor, ids)).load(
      provider.id,
    );
  }
}
