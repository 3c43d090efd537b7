import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum PayoutState {
  /** Recorded (earnings set aside in the ledger); not signed yet. */
  PENDING = 'PENDING',
  /** Signed and sent; not finalized yet. */
  SENT = 'SENT',
  /** Finalized on chain. */
  PAID = 'PAID',
  /** Never paid (the transaction failed or expired); the amount went back to earnings. */
  CANCELLED = 'CANCELLED',
}
registerEnumType(PayoutState, { name: 'PayoutState' });

@ObjectType('Payout', {
  description:
    "A transfer of a provider's earnings to its owner wallet, one of the transfers of a batched Solana transaction. Public, as it is on chain.",
})
export class PayoutDto {
  @Field(() => ID, { description: 'The payout intent id (the ledger names it too).' })
  id: string;
  @Field(() => PayoutState)
  state: PayoutState;
  @Field({ description: 'Tokens, as an exact decimal string.' })
  amount: string;
  @Field()
  currency: string;
  @Field({ description: 'The wallet paid: the provider owner, else the provider address.' })
  wallet: string;
  @Field({ description: "The wallet's token account that receives it." })
  tokenAccount: string;
  @Field(() => String, { nullable: true, description: 'The transaction signature, once signed.' })
  signature: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The transaction on the Solana Explorer (devnet and mainnet; null on the local cluster).',
  })
  explorerUrl: string | null;
  @Field(() => Int, { description: 'Transfers in its transaction (providers paid together).' })
  transfers: number;
  @Field(() => ID, { description: 'The batch (transaction); its memo is `tessera:payout:<batch id>`.' })
  batchId: string;
  @Field(() => GraphQLISODateTime)
  createdAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it was paid or cancelled.' })
  finishedAt: Date | null;
}

@ObjectType('Earnings', { description: "A provider's money, as exact decimal strings." })
export class EarningsDto {
  @Field({ description: 'Earned, not paid out yet (paid once it reaches the payout minimum).' })
  pending: string;
  @Field({ description: 'In a payout transaction that is not final yet.' })
  inFlight: string;
  @Field({ description: 'Paid to the owner wallet, finalized on chain, in total.' })
  paid: string;
  @Field({
    description:
      "Earned in total for re-executing other providers' spot checks (paid from the platform's fees); part of pending, inFlight and paid.",
  })
  fromChecks: string;
  @Field()
  currency: string;
}
