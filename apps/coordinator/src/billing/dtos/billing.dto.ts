import { Field, ObjectType } from '@nestjs/graphql';

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
