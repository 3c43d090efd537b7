import { Args, Context, Int, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { GqlContext } from '../graphql/gql-context';
import { loaderFor } from '../graphql/request-loaders';
import { ProviderDto } from '../providers/dtos/provider.dto';
import { EarningsDto, PayoutDto } from './dtos/payout.dto';
import { PayoutsService } from './payouts.service';

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
