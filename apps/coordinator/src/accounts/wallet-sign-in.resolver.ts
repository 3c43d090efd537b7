import { Args, Context, Mutation, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import type { GqlContext } from '../graphql/gql-context';
import { AccountDto } from './dtos/account.dto';
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
    @Args('link', {
      defaultValue: false,
      description:
        'A message that links the wallet to your account (signed in) instead of signing in; send it to linkWallet.',
    })
    link: boolean,
  ): Promise<WalletChallengeDto> {
    const req = context.req;
    const origin = req ? `${req.protocol}://${req.get('host') ?? 'localhost'}` : 'http://localhost';
    return this.wallets.challenge(actor, wallet, origin, undefined, link ? 'link' : 'sign_in');
  }

  @Mutation(() => AccountDto, {
    description:
      'Links a wallet to your account with its signature of a walletChallenge(link: true) message, so that the wallet signs in to this account. One wallet per account, and a wallet signs in to one account only.',
  })
  linkWallet(
    @CurrentActor() actor: Actor,
    @Args('wallet') wallet: string,
    @Args('message', { description: 'The challenge message exactly as issued.' }) message: string,
    @Args('signature', { description: 'The ed25519 signature of the message’s UTF-8 bytes, base58.' })
    signature: string,
  ): Promise<AccountDto> {
    return this.wallets.link(actor, { wallet, message, signature }) as Promise<AccountDto>;
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
