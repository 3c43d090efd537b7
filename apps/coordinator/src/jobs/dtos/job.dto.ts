import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { AttemptState, JobState, TaskState } from '../job-state';

registerEnumType(JobState, { name: 'JobState' });
registerEnumType(TaskState, { name: 'TaskState' });
registerEnumType(AttemptState, { name: 'AttemptState' });

@ObjectType('OutputFile', { description: 'A result file, downloadable at /v1/blobs/{sha256}.' })
export class OutputFileDto {
  @Field()
  path: string;
  @Field()
  sha256: string;
  @Field(() => Float, { description: 'Bytes.' })
  size: number;
}

@ObjectType('Progress')
export class ProgressDto {
  @Field(() => Int)
  tasksDone: number;
  @Field(() => Int)
  tasksTotal: number;
  @Field(() => Float, { description: 'itemsDone / itemsTotal, 0..1.' })
  fraction: number;
  @Field(() => Int, { description: "Progress in the kind's own unit: frames of a render, tasks otherwise." })
  itemsDone: number;
  @Field(() => Int)
  itemsTotal: number;
  @Field({ description: '"frames", "rows" or "tasks".' })
  itemUnit: string;
  @Field(() => Int, {
    nullable: true,
    description: 'Seconds until done at the pace so far; null before the first item.',
  })
  etaSeconds: number | null;
}

@ObjectType('JobError')
export class JobErrorDto {
  @Field()
  code: string;
  @Field()
  message: string;
}

@ObjectType('Job')
export class JobDto {
  @Field(() => ID)
  id: string;
  @Field()
  kind: string;
  @Field(() => String, { nullable: true })
  name: string | null;
  @Field(() => JobState)
  state: JobState;
  @Field(() => GraphQLJSON, { description: 'The validated parameters, with defaults filled in.' })
  params: Record<string, unknown>;
  @Field(() => Int)
  priority: number;
  @Field(() => ProgressDto)
  progress: ProgressDto;
  @Field(() => [OutputFileDto], { description: 'Merged outputs; filled when the job completes.' })
  outputs: OutputFileDto[];
  @Field(() => String, {
    nullable: true,
    description: 'Path (on the coordinator) of a zip of the outputs accepted so far; null before the first.',
  })
  archiveUrl: string | null;
  @Field(() => JobErrorDto, { nullable: true })
  error: JobErrorDto | null;
  @Field(() => GraphQLISODateTime)
  createdAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt: Date | null;
}

@ObjectType('ProviderRef')
export class ProviderRefDto {
  @Field(() => ID)
  id: string;
  @Field({ description: "The provider's Solana address." })
  address: string;
  @Field(() => String, { nullable: true })
  name: string | null;
}

@ObjectType('Commitment', {
  description:
    "What a provider committed to when it completed a task: the Merkle root over its output items (frames, rows) and how many there are. See docs/protocol.md, 'Commitments'.",
})
export class CommitmentDto {
  @Field({ description: 'RFC 6962 Merkle root over the item hashes, 64 lowercase hex characters.' })
  root: string;
  @Field(() => Int)
  items: number;
}

@ObjectType('Attempt', { description: 'One execution of a task by one provider.' })
export class AttemptDto {
  @Field(() => ID)
  id: string;
  @Field(() => Int)
  number: number;
  @Field(() => AttemptState)
  state: AttemptState;
  @Field(() => ID)
  providerId: string;
  @Field(() => GraphQLISODateTime)
  leasedAt: Date;
  @Field(() => GraphQLISODateTime)
  leaseExpiresAt: Date;
  @Field(() => GraphQLISODateTime, { nullable: true })
  startedAt: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt: Date | null;
  @Field(() => Int, { nullable: true, description: 'Milliseconds from start to finish.' })
  durationMs: number | null;
  @Field(() => Int, { nullable: true })
  exitCode: number | null;
  @Field(() => String, { nullable: true })
  failureCode: string | null;
  @Field(() => String, { nullable: true })
  failureMessage: string | null;
  @Field({ description: 'The last 8 KiB of the container output.' })
  logTail: string;
  @Field(() => CommitmentDto, {
    nullable: true,
    description: 'Set when the provider completed the task with a commitment (render and inference).',
  })
  commitment: CommitmentDto | null;
}

@ObjectType('Task')
export class TaskDto {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  jobId: string;
  @Field(() => Int)
  index: number;
  @Field(() => TaskState)
  state: TaskState;
  @Field({
    description:
      '`work` (part of the job) or `check` (a spot-check re-executing samples of the task with the same index).',
  })
  role: string;
  @Field(() => GraphQLJSON, {
    description:
      "What the workload gave this task: a render chunk's `frames`; an inference shard's `firstRow` (0-based) " +
      'and `rows`; on a spot-check, the sampled items as well (`check`).',
  })
  params: Record<string, unknown>;
  @Field()
  image: string;
  @Field(() => Float)
  cpus: number;
  @Field(() => Float)
  memoryBytes: number;
  @Field(() => Int)
  gpus: number;
  @Field(() => Int, { description: 'Leases taken so far.' })
  attemptCount: number;
  @Field(() => Int)
  maxAttempts: number;
  @Field(() => [OutputFileDto], { nullable: true })
  outputs: OutputFileDto[] | null;
  @Field(() => JobErrorDto, { nullable: true })
  error: JobErrorDto | null;
}

@ObjectType('QueueDepth')
export class QueueDepthDto {
  @Field()
  kind: string;
  @Field(() => Int)
  queued: number;
  @Field(() => Int, { description: 'Leased or running.' })
  running: number;
}

@ObjectType('JobEvent', { description: 'Pushed when a job or one of its tasks changes state.' })
export class JobEventDto {
  @Field(() => JobDto)
  job: JobDto;
  @Field(() => TaskDto, { nullable: true, description: 'The task that changed, when a task did.' })
  task: TaskDto | null;
}
