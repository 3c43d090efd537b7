import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { AccountsService } from './accounts.service';
import { AccountDto, CreateAccountInput, CreateAccountPayload } from './dtos/account.dto';

@Resolver(() => AccountDto)
export class AccountsResolver {
  constructor(private readonly accounts: AccountsService) {}

  @Mutation(() => CreateAccountPayload, { description: 'Opens an account and returns its API key.' })
  createAccount(
    @CurrentActor() actor: Actor,
    @Args('input') input: CreateAccountInput,
  ): Promise<CreateAccountPayload> {
    return this.accounts.createAccount(actor, input.name);
  }

  @Query(() => AccountDto, { description: 'The account behind the API key in use.' })
  me(@CurrentActor() actor: Actor): Promise<AccountDto> {
    return this.accounts.me(actor);
  }
}
