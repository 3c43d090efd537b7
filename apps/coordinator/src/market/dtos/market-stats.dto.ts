import { Field, Float, GraphQLISODateTime, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('KindThroughput', {
  description:
    "One job kind's finished work over the window: accepted work tasks (a spot-checked task counts once its check passed), their items, run time and prices.",
})
export class KindThroughputDto {
  @Field()
  kind: string;
  @Field({
    description: 'What `itemsDone` and the prices count: frames, rows, or tasks for kinds without items.',
  })
  itemUnit: string;
  @Field(() => Int, { description: 'Work tasks accepted in the window.' })
  tasksCompleted: number;
  @Field(() => Int, { description: 'Their items (frames, rows).' })
  itemsDone: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Mean seconds from container start to result over those tasks’ accepted attempts.',
  })
  averageTaskSeconds: number | null;
  @Field(() => Float, {
    nullable: true,
    description:
      "Seconds from the first of those tasks' start (or the window's start, if earlier) to the last one's result: the span their items were made in, so itemsDone / busySeconds is the market's rate while it worked.",
  })
  busySeconds: number | null;
  @Field(() => Int, { description: 'Of those tasks, how many were charged (priced jobs).' })
  pricedTasks: number;
  @Field({ description: 'What customers paid for them in total, as an exact decimal string.' })
  volume: string;
  @Field(() => Float, {
    nullable: true,
    description: 'Median price per item (tokens per frame, row, task) of the most recent 500 charged tasks.',
  })
  medianPricePerItem: number | null;
  @Field(() => Float, { nullable: true, description: 'Price per item of the last task charged.' })
  lastPricePerItem: number | null;
}

@ObjectType('MarketStats', { description: 'Work the market finished recently, by job kind. Public.' })
export class MarketStatsDto {
  @Field(() => Int)
  windowMinutes: number;
  @Field(() => GraphQLISODateTime, { description: 'The start of the window.' })
  since: Date;
  @Field()
  currency: string;
  @Field(() => [KindThroughputDto], { description: 'Kinds with work accepted in the window, by kind.' })
  kinds: KindThroughputDto[];
}
