import { Field, Float, ObjectType } from '@nestjs/graphql';

@ObjectType('BlobUploadPlan', { description: 'What an upload still has to send to /v1/blobs.' })
export class BlobUploadPlanDto {
  @Field(() => [String], {
    description:
      'The digests asked about that your account cannot use yet (never uploaded, or only by someone else): PUT these. In the order asked, each once.',
  })
  missing: string[];
  @Field(() => Float, { description: 'The most bytes one blob may have on this coordinator.' })
  maxBytes: number;
}
