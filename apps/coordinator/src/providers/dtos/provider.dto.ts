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
}
