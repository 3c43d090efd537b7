import { Inject } from '@nestjs/common';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { frameOfPath } from '@tessera/workloads';
import type { OutputFile } from '@tessera/protocol';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { JobDto } from '../jobs/dtos/job.dto';
import { toJobDto } from '../jobs/jobs.mapper';
import { JobsService } from '../jobs/jobs.service';
import { FrameDto, MarketPricesDto } from './dtos/frame.dto';
import { SubmitRenderJobInput } from './dtos/submit-render-job.input';

/** Frames among a render's outputs, in frame order, each with its thumbnail when there is one. */
export function framesOf(outputs: OutputFile[]): FrameDto[] {
  const thumbnails = new Map<number, OutputFile>();
  const frames: FrameDto[] = [];
  for (const output of outputs) {
    const f = frameOfPath(output.path);
    if (!f) continue;
    if (f.thumbnail) thumbnails.set(f.frame, output);
    else
      frames.push({
        number: f.frame,
        path: output.path,
        sha256: output.sha256,
        size: output.size,
        thumbnail: null,
      });
  }
  return frames
    .map((f) => ({ ...f, thumbnail: thumbnails.get(f.number) ?? null }))
    .sort((a, b) => a.number - b.number);
}

@Resolver(() => JobDto)
export class RenderResolver {
  constructor(
    private readonly jobsService: JobsService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  @Mutation(() => JobDto, {
    description:
      'Queues a Blender render. The scene is opened (in a sandbox) first: an unreadable file, frames outside ' +
      "the scene's range, absurd settings or a price cap below the market are refused with nothing queued.",
  })
  async submitRenderJob(
    @CurrentActor() actor: Actor,
    @Args('input') input: SubmitRenderJobInput,
  ): Promise<JobDto> {
    const { name, priority, ...params } = input;
    return toJobDto(await this.jobsService.submit(actor, 'render', params, { name, priority }));
  }

  @Query(() => MarketPricesDto)
  marketPrices(): MarketPricesDto {
    return this.config.market;
  }

  @ResolveField(() => [FrameDto], {
    description: 'Frames rendered and accepted so far (render jobs; empty otherwise).',
  })
  async frames(@CurrentActor() actor: Actor, @Parent() job: JobDto): Promise<FrameDto[]> {
    if (job.kind !== 'render') return [];
    return framesOf((await this.jobsService.acceptedOutputs(actor, job.id)).flatMap((t) => t.outputs));
  }
}
