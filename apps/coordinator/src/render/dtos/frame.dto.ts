import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import { OutputFileDto } from '../../jobs/dtos/job.dto';

@ObjectType('Frame', { description: 'A rendered frame, downloadable at /v1/blobs/{sha256}.' })
export class FrameDto {
  @Field(() => Int)
  number: number;
  @Field({ description: 'File name, e.g. frame-000012.png.' })
  path: string;
  @Field()
  sha256: string;
  @Field(() => Float)
  size: number;
  @Field(() => OutputFileDto, { nullable: true, description: 'A PNG 160 px wide.' })
  thumbnail: OutputFileDto | null;
}

@ObjectType('MarketPrices', { description: 'What work costs on this market right now.' })
export class MarketPricesDto {
  @Field()
  currency: string;
  @Field(() => Float, { description: 'Tokens per megapixel per Cycles sample.' })
  renderPerMegapixelSample: number;
  @Field(() => Float, {
    description:
      'Tokens per CPU-second of inference (batches are priced from the model’s measured ms per row).',
  })
  inferencePerCpuSecond: number;
}
