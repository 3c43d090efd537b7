import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { VerificationState } from '../verification.entity';

registerEnumType(VerificationState, {
  name: 'VerificationState',
  description: 'Where a spot-check stands; PASSED, FAILED, UNRESOLVED and CANCELLED are final.',
});

@ObjectType('Region', { description: 'A box of a frame in pixels, origin top left.' })
export class RegionDto {
  @Field(() => Int)
  x: number;
  @Field(() => Int)
  y: number;
  @Field(() => Int)
  width: number;
  @Field(() => Int)
  height: number;
}

@ObjectType('CheckSample', { description: 'One item a spot-check re-executes.' })
export class CheckSampleDto {
  @Field(() => Int, { description: "Position in the task's items (frames or rows), from 0." })
  item: number;
  @Field({ description: '`frame-12`, `row-40`.' })
  key: string;
  @Field(() => RegionDto, { nullable: true, description: 'Renders: the box of the frame re-rendered.' })
  region: RegionDto | null;
}

@ObjectType('SampleComparison', { description: "How one sample of the provider's result compared." })
export class SampleComparisonDto {
  @Field()
  key: string;
  @Field({ description: 'accept, reject or inconclusive.' })
  verdict: string;
  @Field()
  reason: string;
  @Field(() => Float, {
    nullable: true,
    description: 'Renders: PSNR in dB; null when identical (see `identical`) or not comparable.',
  })
  psnrDb: number | null;
  @Field(() => Float, { nullable: true, description: 'Renders: mean SSIM.' })
  ssim: number | null;
  @Field({ description: 'Pixel-identical (infinite PSNR).' })
  identical: boolean;
}

@ObjectType('CheckRound', { description: 'One re-execution of samples by another provider.' })
export class CheckRoundDto {
  @Field(() => Int)
  round: number;
  @Field({ description: '`sample` (fresh samples) or `confirm` (a first reject repeated elsewhere).' })
  purpose: string;
  @Field(() => ID)
  checkTaskId: string;
  @Field(() => ID, { nullable: true, description: 'Who re-executed the samples.' })
  verifierProviderId: string | null;
  @Field(() => [CheckSampleDto])
  samples: CheckSampleDto[];
  @Field(() => String, { nullable: true, description: 'accept, reject or inconclusive; null while running.' })
  verdict: string | null;
  @Field(() => String, { nullable: true })
  reason: string | null;
  @Field(() => [SampleComparisonDto])
  comparisons: SampleComparisonDto[];
  @Field(() => GraphQLISODateTime)
  startedAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt: Date | null;
}

@ObjectType('Verification', {
  description:
    "A spot-check of one attempt: items sampled after the provider's commitment, proven against it, and re-executed by other providers.",
})
export class VerificationDto {
  @Field(() => ID)
  id: string;
  @Field(() => VerificationState)
  state: VerificationState;
  @Field(() => ID, { description: 'The checked attempt.' })
  attemptId: string;
  @Field(() => ID, { description: 'Who did the checked work.' })
  providerId: string;
  @Field(() => [CheckSampleDto])
  samples: CheckSampleDto[];
  @Field(() => [CheckRoundDto])
  rounds: CheckRoundDto[];
  @Field(() => String, { nullable: true, description: 'Why it ended as it did.' })
  reason: string | null;
  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'While PROVING: when the provider must have proven the samples.',
  })
  proofDeadline: Date | null;
  @Field(() => GraphQLISODateTime)
  createdAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt: Date | null;
}

@ObjectType('JobChecks', { description: "Spot-checks of a job's tasks, by outcome." })
export class JobChecksDto {
  @Field(() => Int, { description: 'Checks begun.' })
  total: number;
  @Field(() => Int, { description: 'Proving or re-executing now.' })
  pending: number;
  @Field(() => Int)
  passed: number;
  @Field(() => Int, { description: 'Results rejected (re-done by someone else, not charged).' })
  failed: number;
  @Field(() => Int)
  unresolved: number;
}
