import {
  Field,
  Float,
  GraphQLISODateTime,
  ID,
  InputType,
  Int,
  ObjectType,
  registerEnumType,
} from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsEnum,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

export enum ColorOrder {
  RGB = 'RGB',
  BGR = 'BGR',
}
export enum PostprocessType {
  ARGMAX = 'ARGMAX',
  CTC_GREEDY = 'CTC_GREEDY',
}
export enum InferenceDevice {
  ANY = 'ANY',
  CPU = 'CPU',
  GPU = 'GPU',
}
registerEnumType(ColorOrder, { name: 'ColorOrder' });
registerEnumType(PostprocessType, {
  name: 'PostprocessType',
  description:
    'ARGMAX: index and value of the largest element along the last axis. CTC_GREEDY: text from a ' +
    'sequence of label probabilities (PaddleOCR/CRNN recognisers), with the labels file.',
});
registerEnumType(InferenceDevice, {
  name: 'InferenceDevice',
  description:
    'ANY runs on GPUs where providers have them and on CPUs elsewhere; GPU waits for GPU providers.',
});

@ObjectType('TensorSignature')
export class TensorSignatureDto {
  @Field()
  name: string;
  @Field({ description: 'Element type: float32, int64, uint8, …' })
  type: string;
  @Field(() => [Int], {
    description: 'Dimensions; -1 where the model leaves one open (the first is the batch).',
  })
  dims: number[];
}

@InputType()
export class TensorSignatureInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  name: string;
  @Field()
  @IsIn(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'bool'], {
    message: 'type must be one of float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, bool',
  })
  type: string;
  @Field(() => [Int])
  @ArrayMaxSize(8)
  @IsInt({ each: true })
  @Min(-1, { each: true })
  dims: number[];
}

@ObjectType('ImagePreprocess', { description: 'How an image row becomes the model input tensor (NCHW).' })
export class ImagePreprocessDto {
  @Field()
  input: string;
  @Field(() => Int)
  width: number;
  @Field(() => Int)
  height: number;
  @Field()
  keepAspect: boolean;
  @Field(() => Int)
  channels: number;
  @Field(() => ColorOrder)
  colorOrder: ColorOrder;
  @Field(() => Float)
  scale: number;
  @Field(() => [Float])
  mean: number[];
  @Field(() => [Float])
  std: number[];
}

@InputType({ description: 'value = (pixel × scale − mean[c]) / std[c], laid out NCHW.' })
export class ImagePreprocessInput {
  @Field({ description: 'The model input the image feeds.' })
  @MinLength(1)
  @MaxLength(200)
  input: string;
  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(8192)
  width: number;
  @Field(() => Int)
  @IsInt()
  @Min(1)
  @Max(8192)
  height: number;
  @Field({
    nullable: true,
    description:
      'Resize to the height keeping the aspect ratio (at most width wide) and pad the right with 0. Default false.',
  })
  @IsOptional()
  @IsBoolean()
  keepAspect?: boolean;
  @Field(() => Int, { nullable: true, description: '1 or 3. Default 3.' })
  @IsOptional()
  @IsIn([1, 3])
  channels?: number;
  @Field(() => ColorOrder, { nullable: true, description: 'Default RGB.' })
  @IsOptional()
  colorOrder?: ColorOrder;
  @Field(() => Float, { nullable: true, description: 'Default 1/255.' })
  @IsOptional()
  @IsNumber()
  scale?: number;
  @Field(() => [Float], { nullable: true, description: 'Per channel. Default 0.' })
  @IsOptional()
  @ArrayMaxSize(3)
  mean?: number[];
  @Field(() => [Float], { nullable: true, description: 'Per channel. Default 1.' })
  @IsOptional()
  @ArrayMaxSize(3)
  std?: number[];
}

@ObjectType('Postprocess')
export class PostprocessDto {
  @Field(() => PostprocessType)
  type: PostprocessType;
  @Field()
  output: string;
  @Field(() => Int, { nullable: true })
  blankIndex: number | null;
  @Field(() => Boolean, { nullable: true })
  appendSpace: boolean | null;
}

@InputType()
export class PostprocessInput {
  @Field(() => PostprocessType)
  @IsEnum(PostprocessType)
  type: PostprocessType;
  @Field({ description: 'The model output it reads.' })
  @MinLength(1)
  @MaxLength(200)
  output: string;
  @Field(() => Int, { nullable: true, description: 'CTC blank label index. Default 0.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  blankIndex?: number;
  @Field({ nullable: true, description: 'CTC: a " " label after the labels file\'s. Default true.' })
  @IsOptional()
  @IsBoolean()
  appendSpace?: boolean;
}

@InputType({ description: 'An ONNX model uploaded to /v1/blobs, with how rows feed it.' })
export class RegisterModelInput {
  @Field({ description: 'Unique in your account.' })
  @MinLength(1)
  @MaxLength(200)
  name: string;
  @Field({ description: 'SHA-256 of the uploaded .onnx file.' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'onnx must be the lowercase hex SHA-256 of an uploaded .onnx file' })
  onnx: string;
  @Field(() => String, {
    nullable: true,
    description: 'SHA-256 of an uploaded labels file (CTC_GREEDY), one per line.',
  })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'labels must be the lowercase hex SHA-256 of an uploaded file' })
  labels?: string;
  @Field(() => Int, {
    nullable: true,
    description: 'Rows per runtime batch, fixed for the model (outputs depend slightly on it). Default 8.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1024)
  batchSize?: number;
  @Field(() => [TensorSignatureInput], {
    nullable: true,
    description:
      'The inputs you expect; refused when the model differs. May fix dimensions the model leaves open.',
  })
  @IsOptional()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => TensorSignatureInput)
  inputs?: TensorSignatureInput[];
  @Field(() => [TensorSignatureInput], { nullable: true, description: 'The outputs you expect.' })
  @IsOptional()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => TensorSignatureInput)
  outputs?: TensorSignatureInput[];
  @Field(() => ImagePreprocessInput, {
    nullable: true,
    description: 'Rows are images: how they become the input.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ImagePreprocessInput)
  preprocess?: ImagePreprocessInput;
  @Field(() => PostprocessInput, {
    nullable: true,
    description: 'Outputs as decoded results rather than raw tensors.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PostprocessInput)
  postprocess?: PostprocessInput;
}

@ObjectType('Model')
export class ModelDto {
  @Field(() => ID)
  id: string;
  @Field()
  name: string;
  @Field({ description: 'SHA-256 of the .onnx file.' })
  onnx: string;
  @Field(() => Float, { description: 'Bytes.' })
  onnxSize: number;
  @Field(() => String, { nullable: true })
  labels: string | null;
  @Field(() => [TensorSignatureDto])
  inputs: TensorSignatureDto[];
  @Field(() => [TensorSignatureDto])
  outputs: TensorSignatureDto[];
  @Field(() => Int)
  batchSize: number;
  @Field(() => ImagePreprocessDto, { nullable: true })
  preprocess: ImagePreprocessDto | null;
  @Field(() => PostprocessDto, { nullable: true })
  postprocess: PostprocessDto | null;
  @Field(() => Float, {
    nullable: true,
    description: "Milliseconds per row measured at registration (2 CPU threads, the model's batch size).",
  })
  msPerRow: number | null;
  @Field(() => GraphQLISODateTime)
  createdAt: Date;
}

@InputType({ description: 'Rows (JSONL uploaded to /v1/blobs) to run through a registered model.' })
export class SubmitInferenceBatchInput {
  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(200)
  name?: string;
  @Field(() => ID)
  @IsUUID('all', { message: 'model must be the id of a registered model' })
  model: string;
  @Field({
    description:
      'SHA-256 of the uploaded JSONL: one row per line, {"id"?, "image": "<sha256 of an uploaded PNG/JPEG>"} for ' +
      'image models, {"id"?, "inputs": {"<input>": nested list or {"dims", "data"}}} otherwise (dims without the batch).',
  })
  @Matches(/^[0-9a-f]{64}$/, { message: 'rows must be the lowercase hex SHA-256 of an uploaded JSONL file' })
  rows: string;
  @Field(() => Int, {
    nullable: true,
    description: 'Rows per task (rounded up to whole batches). Default: sized from the model’s speed.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  shardRows?: number;
  @Field(() => InferenceDevice, { nullable: true })
  @IsOptional()
  device?: InferenceDevice;
  @Field(() => String, { nullable: true, description: 'Most you will pay, in tokens (a decimal string).' })
  @IsOptional()
  @Matches(/^\d+(\.\d+)?$/, { message: 'maxPrice must be a decimal token amount, e.g. 12.5' })
  maxPrice?: string;
  @Field(() => Int, { nullable: true })
  @IsOptional()
  @IsInt()
  @Min(-100)
  @Max(100)
  priority?: number;
}
