import { Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import { IsNotEmpty, MaxLength } from 'class-validator';

@ObjectType('Account')
export class AccountDto {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => String, {
    nullable: true,
    description: 'The Solana wallet (base58) that signs in to this account; null when none is linked.',
  })
  wallet: string | null;

  @Field()
  createdAt: Date;
}

@InputType()
export class CreateAccountInput {
  @Field({ description: 'A display name for the account.' })
  @IsNotEmpty()
  @MaxLength(100)
  name: string;
}

@ObjectType()
export class CreateAccountPayload {
  @Field(() => AccountDto)
  account: AccountDto;

  @Field({ description: 'The API key: send it as "Authorization: Bearer <key>". Shown only once.' })
  apiKey: string;
}
