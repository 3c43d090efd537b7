import { Field, ObjectType } from '@nestjs/graphql';
import { AccountDto } from './account.dto';

@ObjectType('WalletChallenge', { description: 'A one-time sign-in message for a wallet to sign.' })
export class WalletChallengeDto {
  @Field({ description: 'The wallet (base58) that must sign.' })
  wallet: string;

  @Field({
    description:
      'The exact text to sign (UTF-8 bytes, ed25519, as a wallet’s signMessage does); send it back unchanged to walletSignIn.',
  })
  message: string;

  @Field()
  nonce: string;

  @Field({ description: 'After this the message is refused; ask for a new one.' })
  expiresAt: Date;
}

@ObjectType()
export class WalletSignInPayload {
  @Field(() => AccountDto)
  account: AccountDto;

  @Field({
    description: 'A new API key for this session: send it as "Authorization: Bearer <key>". Shown only once.',
  })
  apiKey: string;

  @Field({ description: 'True when this sign-in opened the account (the wallet’s first).' })
  created: boolean;
}
