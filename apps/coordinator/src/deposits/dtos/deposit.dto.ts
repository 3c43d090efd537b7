import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('Deposit', {
  description: 'Tokens you sent to the treasury, verified on chain and credited once.',
})
export class DepositDto {
  @Field(() => ID)
  id: string;
  @Field({ description: 'The Solana transaction signature.' })
  signature: string;
  @Field({ description: 'Tokens credited, as an exact decimal string.' })
  amount: string;
  @Field()
  currency: string;
  @Field({ description: 'The wallet that signed the transfer.' })
  wallet: string;
  @Field(() => Number, { description: 'The slot the transaction landed in.' })
  slot: number;
  @Field(() => String, {
    nullable: true,
    description: 'The transaction on the Solana Explorer (devnet and mainnet; null on the local cluster).',
  })
  explorerUrl: string | null;
  @Field(() => GraphQLISODateTime, { description: 'When it was credited.' })
  createdAt: Date;
}
