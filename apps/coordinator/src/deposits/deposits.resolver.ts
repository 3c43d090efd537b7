import { Args, Int, Mutation, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { ChainDto } from '../chain/dtos/chain.dto';
import { DepositsService } from './deposits.service';
import { DepositDto } from './dtos/deposit.dto';

@Resolver(() => DepositDto)
export class DepositsResolver {
  constructor(private readonly depositsService: DepositsService) {}

  @Mutation(() => DepositDto, {
    description:
      'Credits a deposit once it is finalized on chain: a transferChecked of the token to the treasury token account with the memo `chain.depositMemo`. Each signature counts once.',
  })
  confirmDeposit(@CurrentActor() actor: Actor, @Args('signature') signature: string): Promise<DepositDto> {
    return this.depositsService.confirm(actor, signature);
  }

  @Query(() => [DepositDto], { description: 'Your deposits, newest first.' })
  deposits(
    @CurrentActor() actor: Actor,
    @Args('limit', { type: () => Int, defaultValue: 50 }) limit: number,
  ): Promise<DepositDto[]> {
    return this.depositsService.list(actor, limit);
  }
}

@Resolver(() => ChainDto)
export class ChainDepositMemoResolver {
  constructor(private readonly deposits: DepositsService) {}

  @ResolveField(() => String, {
    nullable: true,
    description:
      'The memo your deposits must carry (`tessera:deposit:<account id>`, SPL Memo program); null when not signed in.',
  })
  depositMemo(@CurrentActor() actor: Actor): string | null {
    return this.deposits.memoFor(actor);
  }
}
