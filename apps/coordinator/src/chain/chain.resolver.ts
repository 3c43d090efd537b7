import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { ChainInfoService } from './chain-info.service';
import { ChainDto, TestTokensDto } from './dtos/chain.dto';
import { TestTokensService } from './test-tokens.service';

@Resolver(() => ChainDto)
export class ChainResolver {
  constructor(
    private readonly chainInfo: ChainInfoService,
    private readonly testTokens: TestTokensService,
  ) {}

  @Query(() => ChainDto, { description: 'The Solana cluster, token and treasury payments use.' })
  chain(@CurrentActor() actor: Actor): ChainDto {
    return this.chainInfo.describe(actor);
  }

  @Mutation(() => TestTokensDto, {
    description:
      'Local cluster only: mints test tokens (and airdrops 1 SOL for fees) to a wallet, to make a real deposit with. Refused on devnet and mainnet.',
  })
  requestTestTokens(
    @CurrentActor() actor: Actor,
    @Args('wallet') wallet: string,
    @Args('amount', { description: 'Tokens, as a decimal string such as "25".' }) amount: string,
  ): Promise<TestTokensDto> {
    return this.testTokens.request(actor, wallet, amount);
  }
}
