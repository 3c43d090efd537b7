import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Actor } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { JobDto } from '../jobs/dtos/job.dto';
import { toJobDto } from '../jobs/jobs.mapper';
import { JobsService } from '../jobs/jobs.service';
import {
  ModelDto,
  PostprocessType,
  RegisterModelInput,
  SubmitInferenceBatchInput,
  ColorOrder,
} from './dtos/model.dto';
import { ModelEntity } from './model.entity';
import { ModelsService } from './models.service';

function toModelDto(m: ModelEntity): ModelDto {
  return {
    id: m.id,
    name: m.name,
    onnx: m.onnxSha256,
    onnxSize: m.onnxSize,
    labels: m.labelsSha256,
    inputs: m.inputs,
    outputs: m.outputs,
    batchSize: m.batchSize,
    preprocess: m.preprocess ? { ...m.preprocess, colorOrder: m.preprocess.colorOrder as ColorOrder } : null,
    postprocess: m.postprocess
      ? {
          type: m.postprocess.type.toUpperCase() as PostprocessType,
          output: m.postprocess.output,
          blankIndex: m.postprocess.type === 'ctc_greedy' ? m.postprocess.blankIndex : null,
          appendSpace: m.postprocess.type === 'ctc_greedy' ? m.postprocess.appendSpace : null,
        }
      : null,
    msPerRow: m.msPerRow,
    createdAt: m.createdAt,
  };
}

@Resolver(() => ModelDto)
export class ModelsResolver {
  constructor(
    private readonly modelsService: ModelsService,
    private readonly jobsService: JobsService,
  ) {}

  @Mutation(() => ModelDto, {
    description:
      'Registers an ONNX model (uploaded to /v1/blobs first). The file is opened with onnxruntime in a sandbox: ' +
      'a file that is not ONNX, a declared signature the model does not have, or preprocessing that does not ' +
      'fit its input are refused with nothing stored. The same name, file and settings again returns the model.',
  })
  async registerModel(
    @CurrentActor() actor: Actor,
    @Args('input') input: RegisterModelInput,
  ): Promise<ModelDto> {
    return toModelDto(await this.modelsService.register(actor, input));
  }

  @Query(() => [ModelDto], { description: 'Your registered models, newest first.' })
  async models(@CurrentActor() actor: Actor): Promise<ModelDto[]> {
    return (await this.modelsService.list(actor)).map(toModelDto);
  }

  @Query(() => ModelDto)
  async model(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<ModelDto> {
    return toModelDto(await this.modelsService.get(actor, id));
  }

  @Mutation(() => JobDto, {
    description:
      'Queues a batch of rows for a registered model. Every row is checked against the model first: a batch ' +
      'with rows it cannot take (missing fields, wrong shape or type, unknown images), an empty batch or one ' +
      'over the row limit is refused with the line numbers and nothing queued. Rows that fail while running ' +
      "(an image that does not decode) come back as that row's error; the others still succeed.",
  })
  async submitInferenceBatch(
    @CurrentActor() actor: Actor,
    @Args('input') input: SubmitInferenceBatchInput,
  ): Promise<JobDto> {
    const { name, priority, ...params } = input;
    return toJobDto(await this.jobsService.submit(actor, 'inference', { ...params }, { name, priority }));
  }
}

@Resolver(() => JobDto)
export class InferenceJobResolver {
  @ResolveField(() => String, {
    nullable: true,
    description:
      "Path (on the coordinator) of the batch's outputs as one JSONL file, one line per row in input order " +
      '(inference jobs, once every shard is done; null otherwise).',
  })
  outputsUrl(@Parent() job: JobDto): string | null {
    return job.kind === 'inference' && job.state === 'COMPLETED' ? `/v1/jobs/${job.id}/outputs.jsonl` : null;
  }
}
