import { Args, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { BlobUploadPlanDto } from './blob-upload-plan.dto';
import { BlobsService } from './blobs.service';

@Resolver(() => BlobUploadPlanDto)
export class BlobsResolver {
  constructor(private readonly blobsService: BlobsService) {}

  @Query(() => BlobUploadPlanDto, {
    description:
      'Before uploading files (1 to 1000 SHA-256 digests): which of them your account still has to PUT to /v1/blobs, and the size limit. Asking does not log a failed request for each missing file, as HEAD /v1/blobs/<sha256> would in a browser.',
  })
  blobUploadPlan(
    @CurrentActor() actor: Actor,
    @Args('sha256', { type: () => [String] }) sha256: string[],
  ): Promise<BlobUploadPlanDto> {
    return this.blobsService.uploadPlan(actor, sha256);
  }
}
