import { ArgsType, Field, GraphQLISODateTime, Int } from '@nestjs/graphql';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { JobState } from '../job-state';

@ArgsType()
export class JobsArgs {
  @Field(() => [JobState], { nullable: true })
  @IsOptional()
  states?: JobState[];

  @Field(() => Int, { defaultValue: 50 })
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Only jobs created before this (for paging).',
  })
  @IsOptional()
  before?: Date;
}
