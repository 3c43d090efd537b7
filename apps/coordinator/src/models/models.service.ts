import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  checkProcessing,
  ImagePreprocess,
  ImagePreprocessSchema,
  ModelInfo,
  PostprocessSchema,
  reconcileSignature,
  TensorSignature,
} from '@tessera/workloads';
import { Repository } from 'typeorm';
import type { z } from 'zod';
import { Actor, requireAccount } from '../auth/actor';
import { BlobsService } from '../blobs/blobs.service';
import { AppError } from '../common/app-error';
import { RegisterModelInput } from './dtos/model.dto';
import { ModelInspector } from './model-inspector.service';
import { ModelEntity } from './model.entity';

/** ML teams' models: registered once (opened in the sandbox, signature checked), used by many batches. */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);

  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    private readonly blobs: BlobsService,
    private readonly inspector: ModelInspector,
  ) {}

  /**
   * Registers a model. The file is opened with onnxruntime in the sandbox: not ONNX, a declared
   * signature the model does not have, or processing that does not fit it are refused with nothing
   * stored. Registering the same name with the same file and settings again returns the model.
   */
  async register(actor: Actor, input: RegisterModelInput): Promise<ModelEntity> {
    const accountId = requireAccount(actor);
    const batchSize = input.batchSize ?? 8;
    const preprocess = input.preprocess
      ? this.parse(ImagePreprocessSchema, { ...input.preprocess, type: 'image' }, 'preprocess')
      : null;
    const postprocess = input.postprocess
      ? this.parse(
          PostprocessSchema,
          { ...input.postprocess, type: input.postprocess.type.toLowerCase() },
          'postprocess',
        )
      : null;
    const onnx = await this.blobs.lookupForAccount(accountId, input.onnx);
    if (!onnx)
      throw new AppError(
        'INPUT_NOT_FOUND',
        `no uploaded file ${input.onnx} in this account (upload the .onnx first)`,
        'onnx',
      );
    const labels = input.labels ? await this.blobs.lookupForAccount(accountId, input.labels) : undefined;
    if (input.labels && !labels)
      throw new AppError(
        'INPUT_NOT_FOUND',
        `no uploaded labels file ${input.labels} in this account`,
        'labels',
      );
    if (postprocess?.type === 'ctc_greedy' && !labels)
      throw new AppError('BAD_INPUT', 'CTC_GREEDY needs a labels file (one label per line)', 'labels');

    const existing = await this.models.findOneBy({ accountId, name: input.name });
    if (existing) {
      const same =
        existing.onnxSha256 === input.onnx &&
        existing.batchSize === batchSize &&
        existing.labelsSha256 === (input.labels ?? null) &&
        JSON.stringify(existing.preprocess) === JSON.stringify(preprocess) &&
        JSON.stringify(existing.postprocess) === JSON.stringify(postprocess);
      if (same) return existing;
      throw new AppError(
        'MODEL_EXISTS',
        `you already have a model named "${input.name}" (${existing.id}) with another file or settings; choose another name`,
        'name',
      );
    }

    const declaredInputs = input.inputs?.map(plain);
    const inspection = await this.inspector.inspect(
      { sha256: input.onnx, size: onnx.size },
      batchSize,
      benchShape(declaredInputs, preprocess, batchSize),
    );
    const ins = reconcileSignature('input', inspection.inputs, declaredInputs);
    const outs = reconcileSignature('output', inspection.outputs, input.outputs?.map(plain));
    const problems = [...ins.problems, ...outs.problems];
    if (problems.length)
      throw new AppError('SIGNATURE_MISMATCH', `the model does not match: ${problems.join('; ')}`, 'inputs');
    const processing = checkProcessing(ins.signature, outs.signature, preprocess, postprocess, batchSize);
    if (processing.length) throw new AppError('BAD_INPUT', processing.join('; '), 'preprocess');

    const model = await this.models.save(
      this.models.create({
        accountId,
        name: input.name,
        onnxSha256: input.onnx,
        onnxSize: onnx.size,
        labelsSha256: input.labels ?? null,
        labelsSize: labels?.size ?? null,
        inputs: ins.signature,
        outputs: outs.signature,
        batchSize,
        preprocess,
        postprocess,
        msPerRow: inspection.msPerRow,
      }),
    );
    this.logger.log({ msg: 'model registered', modelId: model.id, accountId, msPerRow: model.msPerRow });
    return model;
  }

  list(actor: Actor): Promise<ModelEntity[]> {
    return this.models.find({ where: { accountId: requireAccount(actor) }, order: { createdAt: 'DESC' } });
  }

  async get(actor: Actor, id: string): Promise<ModelEntity> {
    const model = /^[0-9a-f-]{36}$/i.test(id)
      ? await this.models.findOneBy({ id, accountId: requireAccount(actor) })
      : null;
    if (!model) throw new AppError('MODEL_NOT_FOUND', `no model ${id} in your account`, 'model');
    return model;
  }

  /** A model of the account's, as the inference plugin sees it. */
  async lookup(accountId: string, id: string): Promise<ModelInfo | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const m = await this.models.findOneBy({ id, accountId });
    return m ? toModelInfo(m) : undefined;
  }

  private parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
    const parsed = schema.safeParse(plain(value));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new AppError(
      'BAD_INPUT',
      `${[field, ...issue.path.map(String)].join('.')}: ${issue.message}`,
      field,
    );
  }
}

export function toModelInfo(m: ModelEntity): ModelInfo {
  return {
    id: m.id,
    name: m.name,
    onnx: { sha256: m.onnxSha256, size: m.onnxSize },
    labels: m.labelsSha256 ? { sha256: m.labelsSha256, size: m.labelsSize ?? 0 } : null,
    inputs: m.inputs,
    outputs: m.outputs,
    batchSize: m.batchSize,
    preprocess: m.preprocess,
    postprocess: m.postprocess,
    msPerRow: m.msPerRow,
  };
}

/** GraphQL input objects have null prototypes and undefined optionals: plain JSON for zod and jsonb. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Shapes to time the model with: the preprocessing's for an image input, the declared dims
 * otherwise; undefined when a non-batch dimension is unknown (then no timing).
 */
function benchShape(
  declared: TensorSignature[] | undefined,
  preprocess: ImagePreprocess | null,
  batchSize: number,
): Record<string, number[]> | undefined {
  if (preprocess) {
    return { [preprocess.input]: [batchSize, preprocess.channels, preprocess.height, preprocess.width] };
  }
  if (!declared?.length) return undefined;
  const shape: Record<string, number[]> = {};
  for (const d of declared) {
    if (d.dims.slice(1).some((x) => x < 0)) return undefined;
    shape[d.name] = [batchSize, ...d.dims.slice(1)];
  }
  return shape;
}
