import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('Balance', { description: 'Your tokens, as decimal strings (exact).' })
export class BalanceDto {
  @Field({ description: 'Free to spend on new jobs.' })
  available: string;
  @Field({ description: 'Reserved by jobs that have not ended (their price caps, less what was charged).' })
  reserved: string;
  @Field()
  currency: string;
}

@ObjectType('JobCost', { description: "A job's money, as decimal token strings (exact)." })
export class JobCostDto {
  @Field({ description: 'The price cap reserved at submission.' })
  reserved: string;
  @Field({ description: 'Paid for accepted tasks so far (a rejected result is never charged).' })
  charged: string;
  @Field({ description: 'Returned to your balance when the job ended.' })
  refunded: string;
  @Field()
  currency: string;
}

@ObjectType('LedgerEntry', {
  description: 'One line of your books: what a posting added to one of your accounts.',
})
export class LedgerEntryDto {
  @Field(() => ID, { description: 'Increases with time; pass the last one as `before` for older entries.' })
  id: string;
  @Field({ description: 'deposit, escrow_reserve, task_capture, escrow_refund, adjustment, …' })
  kind: string;
  @Field({ description: '`available`, or `escrow` of a job.' })
  account: string;
  @Field({ description: 'Tokens added (negative: taken), as an exact decimal string.' })
  amount: string;
  @Field()
  currency: string;
  @Field(() => ID, { nullable: true })
  jobId: string | null;
  @Field(() => ID, { nullable: true })
  taskId: string | null;
  @Field(() => String, { nullable: true, description: 'The Solana transaction, for deposits.' })
  signature: string | null;
  @Field(() => String, { nullable: true })
  memo: string | null;
  @Field(() => GraphQLISODateTime)
  createdAt: Date;
}

@ObjectType('LedgerEntryPage')
export class LedgerEntryPageDto {
  @Field(() => [LedgerEntryDto], { description: 'Newest first.' })
  items: LedgerEntryDto[];
  @Field(() => String, {
    nullable: true,
    description: 'Pass as `before` for the next page; null on the last.',
  })
  nextCursor: string | null;
}
