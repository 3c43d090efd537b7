import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('ProviderTask', {
  description:
    "One lease of a task by a provider, as the public provider page shows it: the kind of work and which of its items (frames, rows), its timings and outcome. It names no job, customer, file or parameter: a provider's page is public, and whose work it runs is the customer's business.",
})
export class ProviderTaskDto {
  @Field(() => ID, { description: 'The attempt: this lease of the task by this provider.' })
  id: string;
  @Field(() => ID)
  taskId: string;
  @Field({ description: 'The workload kind: render, inference, container.' })
  kind: string;
  @Field({
    description:
      "`work`: part of a customer's job. `check`: a spot-check re-executing samples of another provider's result.",
  })
  role: string;
  @Field({
    description:
      'LEASED or RUNNING while it holds the task; afterwards how the attempt ended: ACCEPTED (its result is final: work paid for, or a spot-check’s re-execution used), VERIFYING (a spot-check is re-executing samples of it), SUCCEEDED (done, but not used: a job cancelled since, or a check that ended without it), REJECTED (a spot-check disagreed), FAILED, EXPIRED or CANCELLED.',
  })
  state: string;
  @Field({
    description:
      'What `items` counts: frames or rows for work, regions or rows for a spot-check, tasks for kinds without items.',
  })
  itemUnit: string;
  @Field(() => Int)
  items: number;
  @Field(() => Int, {
    nullable: true,
    description:
      'The lowest item it covers (frame number, row number); null for spot-checks and kinds without items.',
  })
  firstItem: number | null;
  @Field(() => Int, { nullable: true, description: 'The highest item it covers.' })
  lastItem: number | null;
  @Field(() => GraphQLISODateTime)
  leasedAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When its container started.' })
  startedAt: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt: Date | null;
  @Field(() => String, {
    nullable: true,
    description: 'Why it failed, as a code (TIMEOUT, CHECK_FAILED, …); the message stays with the job owner.',
  })
  failureCode: string | null;
}
