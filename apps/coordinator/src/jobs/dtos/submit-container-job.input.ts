import { Field, Float, InputType, Int } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsInt,
  IsOptional,
  IsPositive,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

@InputType()
export class EnvVarInput {
  @Field()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'env names are letters, digits and underscores' })
  @MaxLength(128)
  name: string;

  @Field()
  @MaxLength(4096)
  value: string;
}

@InputType()
export class InputFileInput {
  @Field({ description: 'SHA-256 of a blob you uploaded to /v1/blobs.' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be a lowercase hex SHA-256 digest' })
  sha256: string;

  @Field({ description: 'Where the file appears under /in, e.g. "data/input.txt".' })
  @MinLength(1)
  @MaxLength(255)
  path: string;
}

@InputType({
  description: 'Run an allow-listed image with a command; every file written to /out is a result.',
})
export class SubmitContainerJobInput {
  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(200)
  name?: string;

  @Field({ description: 'An image on the coordinator allow-list (see the allowedImages query).' })
  @MinLength(1)
  @MaxLength(300)
  image: string;

  @Field(() => [String], { description: 'The command and its arguments (no shell unless you run one).' })
  @ArrayMinSize(1)
  @ArrayMaxSize(256)
  command: string[];

  @Field(() => [EnvVarInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => EnvVarInput)
  env?: EnvVarInput[];

  @Field(() => [InputFileInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => InputFileInput)
  inputs?: InputFileInput[];

  @Field(() => Int, {
    nullable: true,
    description: 'Run the command this many times (TESSERA_TASK_INDEX tells them apart). Default 1.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  tasks?: number;

  @Field(() => Float, { nullable: true, description: 'CPU cores per task. Default 1.' })
  @IsOptional()
  @IsPositive()
  cpus?: number;

  @Field(() => Int, { nullable: true, description: 'Memory per task in MiB. Default 512.' })
  @IsOptional()
  @IsInt()
  @Min(16)
  memoryMb?: number;

  @Field(() => Int, { nullable: true, description: 'GPUs per task. Default 0.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(16)
  gpus?: number;

  @Field(() => Int, { nullable: true, description: 'Minimum VRAM per GPU in MiB.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  minVramMb?: number;

  @Field(() => Int, { nullable: true, description: 'Wall-clock limit per task in seconds. Default 600.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  timeoutSec?: number;

  @Field(() => Int, { nullable: true, description: 'Total output size per task in MiB. Default 256.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  outputLimitMb?: number;

  @Field(() => Int, { nullable: true, description: 'Higher runs first among your jobs. Default 0.' })
  @IsOptional()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number;
}
