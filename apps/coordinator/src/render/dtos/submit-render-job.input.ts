import { Field, InputType, Int, registerEnumType } from '@nestjs/graphql';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';

export enum RenderEngine {
  CYCLES = 'CYCLES',
}
export enum ImageFormat {
  PNG = 'PNG',
  EXR = 'EXR',
}
export enum RenderDevice {
  ANY = 'ANY',
  CPU = 'CPU',
  GPU = 'GPU',
}
registerEnumType(RenderEngine, {
  name: 'RenderEngine',
  description: 'Cycles only: Eevee and Workbench need a display.',
});
registerEnumType(ImageFormat, { name: 'ImageFormat' });
registerEnumType(RenderDevice, {
  name: 'RenderDevice',
  description:
    'ANY renders on GPUs where providers have them and on CPUs elsewhere; GPU waits for GPU providers.',
});

@InputType({ description: 'Render frames of an uploaded .blend (assets packed) with Cycles.' })
export class SubmitRenderJobInput {
  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(200)
  name?: string;

  @Field({ description: 'SHA-256 of the .blend, uploaded to /v1/blobs first.' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'blend must be the lowercase hex SHA-256 of an uploaded .blend' })
  blend: string;

  @Field({
    nullable: true,
    description: 'Frames: "1-48", "1-48x2" (every 2nd), "1,5,10-12". Default: the scene\'s range.',
  })
  @IsOptional()
  @MaxLength(2000)
  frames?: string;

  @Field({ nullable: true, description: '"WIDTHxHEIGHT", e.g. "1920x1080". Default: the scene\'s.' })
  @IsOptional()
  @Matches(/^\d+x\d+$/, { message: 'resolution must look like 1920x1080' })
  resolution?: string;

  @Field(() => Int, {
    nullable: true,
    description: "Percentage of the scene's resolution, when resolution is not given.",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  resolutionPercentage?: number;

  @Field(() => Int, { nullable: true, description: 'Cycles samples per pixel. Default 32.' })
  @IsOptional()
  @IsInt()
  samples?: number;

  @Field(() => RenderEngine, { nullable: true })
  @IsOptional()
  engine?: RenderEngine;

  @Field(() => ImageFormat, { nullable: true, description: 'Default PNG.' })
  @IsOptional()
  format?: ImageFormat;

  @Field(() => Int, {
    nullable: true,
    description: 'Cycles seed; fixed so that re-renders match. Default 0.',
  })
  @IsOptional()
  @IsInt()
  seed?: number;

  @Field(() => RenderDevice, { nullable: true })
  @IsOptional()
  device?: RenderDevice;

  @Field({
    nullable: true,
    description: 'The most you will pay for the whole job, in tokens (decimal). Omitted: no cap.',
  })
  @IsOptional()
  @Matches(/^\d+(\.\d+)?$/, { message: 'maxPrice must be a decimal token amount such as 12.5' })
  maxPrice?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Frames per task. Default: chosen from an estimate of the render time.',
  })
  @IsOptional()
  @IsInt()
  chunkSize?: number;

  @Field(() => Int, { nullable: true, description: 'Wall-clock limit per frame in seconds. Default 600.' })
  @IsOptional()
  @IsInt()
  frameTimeoutSec?: number;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number;
}
