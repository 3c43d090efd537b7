import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import type { GqlContext } from '../graphql/gql-context';
import { WalletChallengeDto, WalletSignInPayload } from './dtos/wallet-sign-in.dto';
import { WalletSignInService } from './wallet-sign-in.service';

@Resolver()
export class WalletSignInResolver {
  constructor(private readonly wallets: WalletSignInService) {}

  @Mutation(() => WalletChallengeDto, {
    description:
      'A one-time sign-in message for the wallet to sign (valid 5 minutes); then call walletSignIn.',
  })
  walletChallenge(
    @CurrentActor() actor: Actor,
    @Context() context: GqlContext,
    @Args('wallet', { description: 'The wallet’s address (base58 public key).' }) wallet: string,
  ): Promise<WalletChallengeDto> {
    const req = context.req;
    const origin = req ? `${req.protocol}://${req.get('host') ?? 'localhost'}` : 'http://localhost';
    return this.wallets.challenge(actor, wallet, origin);
  }

  @Mutation(() => WalletSignInPayload, {
    description:
      'Signs in with a wallet’s signature of a walletChallenge message: returns a new API key of the account linked to the wallet, opening one on its first sign-in.',
  })
  walletSignIn(
    @CurrentActor() actor: Actor,
    @Args('wallet') wallet: string,
    @Args('message', { description: 'The challenge message exactly as issued.' }) message: string,
    @Args('signature', { description: 'The ed25519 signature of the message’s UTF-8 bytes, base58.' })
    signature: string,
  ): Promise<WalletSignInPayload> {
    return this.wallets.signIn(actor, { wallet, message, signature });
  }
}
