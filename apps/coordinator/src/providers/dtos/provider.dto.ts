import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('Gpu')
export class GpuDto {
  @Field()
  name: string;
  @Field(() => Float)
  vramBytes: number;
  @Field()
  driverVersion: string;
  @Field(() => String, { nullable: true })
  computeCapability: string | null;
}

@ObjectType('ProviderStats')
export class ProviderStatsDto {
  @Field(() => Int)
  succeeded: number;
  @Field(() => Int)
  failed: number;
  @Field(() => Int, { description: 'Leases that ran out without a heartbeat.' })
  expired: number;
}

@ObjectType('CheckRecord', {
  description:
    "A provider's spot-check record: how often its work is re-executed elsewhere, and how that went.",
})
export class CheckRecordDto {
  @Field(() => Int)
  checksPassed: number;
  @Field(() => Int, { description: 'Results a spot-check rejected (each withheld pay and slashed bond).' })
  checksFailed: number;
  @Field(() => Int, { description: 'Checks passed since the last failure.' })
  cleanStreak: number;
  @Field(() => Float, {
    description: 'In [0, 1]: passes over checks, a failure weighing ten passes; 0.5 for a newcomer.',
  })
  reputation: number;
  @Field(() => Float, {
    description:
      'Probability that its next task is spot-checked: 1 on probation, then lower with a clean record, down to a floor.',
  })
  checkRate: number;
  @Field(() => String, { nullable: true })
  banReason: string | null;
}

@ObjectType('Provider', { description: 'A machine running the provider agent.' })
export class ProviderDto {
  @Field(() => ID)
  id: string;
  @Field({
    description: 'Solana address (ed25519 public key) that identifies the provider and receives payouts.',
  })
  address: string;
  @Field(() => String, { nullable: true })
  name: string | null;
  @Field({ description: 'Connected and heartbeating.' })
  online: boolean;
  @Field(() => GraphQLISODateTime)
  lastSeenAt: Date;
  @Field(() => GraphQLISODateTime)
  firstSeenAt: Date;
  @Field()
  agentVersion: string;
  @Field(() => Int)
  cpuCores: number;
  @Field(() => Float)
  memoryBytes: number;
  @Field(() => Float)
  diskFreeBytes: number;
  @Field(() => [GpuDto])
  gpus: GpuDto[];
  @Field()
  dockerVersion: string;
  @Field(() => [String], { description: 'Workload kinds it runs.' })
  kinds: string[];
  @Field(() => Int, { description: 'Tasks it runs at once.' })
  slots: number;
  @Field(() => [String], { description: 'Images cached on the machine.' })
  images: string[];
  @Field()
  banned: boolean;
  @Field({ description: 'The wallet that owns the machine and is paid for it (its own address unless set).' })
  owner: string;
  @Field(() => CheckRecordDto)
  record: CheckRecordDto;
}
