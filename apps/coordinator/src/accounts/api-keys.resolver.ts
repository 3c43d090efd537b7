import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreateApiKeyPayload } from './dtos/api-key.dto';

@Resolver(() => ApiKeyDto)
export class ApiKeysResolver {
  constructor(private readonly keys: ApiKeysService) {}

  @Query(() => [ApiKeyDto], { description: 'Your API keys, revoked ones included, newest first.' })
  apiKeys(@CurrentActor() actor: Actor): Promise<ApiKeyDto[]> {
    return this.keys.list(actor);
  }

  @Mutation(() => CreateApiKeyPayload, {
    description: 'Makes another API key for your account (at most 20 live); its secret is shown only now.',
  })
  createApiKey(
    @CurrentActor() actor: Actor,
    @Args('label', { description: 'What the key is for, 1–100 characters.' }) label: string,
  ): Promise<CreateApiKeyPayload> {
    return this.keys.create(actor, label);
  }

  @Mutation(() => ApiKeyDto, {
    description:
      'Revokes one of your API keys: it stops working at once, live subscriptions included. The last live key cannot be revoked unless the account has a wallet to sign in with.',
  })
  revokeApiKey(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<ApiKeyDto> {
    return this.keys.revoke(actor, id);
  }

  @Mutation(() => Boolean, {
    description:
      'Signs out: revokes the key of this request if a sign-in (a wallet) handed it out, and says true; keeps a key you made (createAccount, createApiKey), which scripts may use, and says false.',
  })
  signOut(@CurrentActor() actor: Actor): Promise<boolean> {
    return this.keys.signOut(actor);
  }
}
