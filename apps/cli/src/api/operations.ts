/**
 * The GraphQL documents the CLI sends and the shapes it reads back: only public API fields
 * (apps/coordinator/schema.gql). Tests run them against that schema file.
 */

export type JobState = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export const JOB_STATES: readonly JobState[] = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
export const FINISHED_STATES: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export interface ProgressView {
  tasksDone: number;
  tasksTotal: number;
  fraction: number;
  itemsDone: number;
  itemsTotal: number;
  itemUnit: string;
  etaSeconds: number | null;
}

export interface JobErrorView {
  code: string;
  message: string;
}

export interface JobSummary {
  id: string;
  name: string | null;
  kind: string;
  state: JobState;
  progress: ProgressView;
  error: JobErrorView | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface FrameView {
  number: number;
  path: string;
  sha256: string;
  size: number;
}

export interface OutputFileView {
  path: string;
  sha256: string;
  size: number;
}

/** What `download` needs: every accepted frame (render) or output (other kinds) with its digest. */
export interface JobFiles extends JobSummary {
  frames: FrameView[];
  outputs: OutputFileView[];
  archiveUrl: string | null;
  /** Inference jobs, once COMPLETED: the path of the merged outputs JSONL (one line per row). */
  outputsUrl: string | null;
}

export interface AttemptView {
  state: string;
  provider: { name: string | null; address: string };
}

export interface VerificationView {
  state: string;
  reason: string | null;
}

export interface TaskView {
  index: number;
  state: string;
  /** `work`, or `check`: a spot-check re-running samples of the work task with the same index. */
  role: string;
  /** Spot-checks of this task, oldest first. */
  verifications: VerificationView[];
  error: JobErrorView | null;
  /** The task's result files; a render's include its frames, by the same paths as Job.frames. */
  outputs: { path: string }[] | null;
  attempts: AttemptView[];
}

export interface JobEventView {
  job: JobSummary & { frames: { number: number; path: string }[] };
  task: TaskView | null;
}

export interface AccountView {
  id: string;
  name: string;
  createdAt: string;
}

const SUMMARY = `
  id name kind state createdAt startedAt finishedAt
  progress { tasksDone tasksTotal fraction itemsDone itemsTotal itemUnit etaSeconds }
  error { code message }`;

export const ME = `query Me { me { id name createdAt } }`;

export const CREATE_ACCOUNT = `mutation CreateAccount($name: String!) {
  createAccount(input: { name: $name }) { apiKey account { id name createdAt } }
}`;

export const SUBMIT_RENDER_JOB = `mutation SubmitRenderJob($input: SubmitRenderJobInput!) {
  submitRenderJob(input: $input) { ${SUMMARY} params }
}`;

export const JOBS = `query Jobs($states: [JobState!], $limit: Int!) {
  jobs(states: $states, limit: $limit) { ${SUMMARY} }
}`;

export const JOB_FILES = `query JobFiles($id: ID!) {
  job(id: $id) {
    ${SUMMARY} archiveUrl outputsUrl frames { number path sha256 size } outputs { path sha256 size }
  }
}`;

export const CANCEL_JOB = `mutation CancelJob($id: ID!) { cancelJob(id: $id) { ${SUMMARY} } }`;

export const JOB_EVENTS = `subscription JobEvents($jobId: ID!) {
  jobEvents(jobId: $jobId) {
    job { ${SUMMARY} frames { number path } }
    task {
      index state role error { code message } outputs { path } attempts { state provider { name address } }
      verifications { state reason }
    }
  }
}`;

/** SubmitRenderJobInput as the CLI fills it (everything but `blend` optional). */
export interface SubmitRenderJobInput {
  blend: string;
  name?: string;
  frames?: string;
  resolution?: string;
  resolutionPercentage?: number;
  samples?: number;
  format?: 'PNG' | 'EXR';
  seed?: number;
  device?: 'ANY' | 'CPU' | 'GPU';
  maxPrice?: string;
  chunkSize?: number;
}

/** A model input or output; dims are -1 where the model leaves one open (the first is the batch). */
export interface TensorSignatureView {
  name: string;
  type: string;
  dims: number[];
}

export type ColorOrder = 'RGB' | 'BGR';
export type PostprocessType = 'ARGMAX' | 'CTC_GREEDY';
export type InferenceDevice = 'ANY' | 'CPU' | 'GPU';

export interface ImagePreprocessView {
  input: string;
  width: number;
  height: number;
  keepAspect: boolean;
  channels: number;
  colorOrder: ColorOrder;
  scale: number;
  mean: number[];
  std: number[];
}

export interface PostprocessView {
  type: PostprocessType;
  output: string;
  blankIndex: number | null;
  appendSpace: boolean | null;
}

export interface ModelView {
  id: string;
  name: string;
  /** SHA-256 of the .onnx file. */
  onnx: string;
  onnxSize: number;
  labels: string | null;
  inputs: TensorSignatureView[];
  outputs: TensorSignatureView[];
  batchSize: number;
  preprocess: ImagePreprocessView | null;
  postprocess: PostprocessView | null;
  msPerRow: number | null;
  createdAt: string;
}

const MODEL = `
  id name onnx onnxSize labels batchSize msPerRow createdAt
  inputs { name type dims } outputs { name type dims }
  preprocess { input width height keepAspect channels colorOrder scale mean std }
  postprocess { type output blankIndex appendSpace }`;

export const MODELS = `query Models { models { ${MODEL} } }`;

export const REGISTER_MODEL = `mutation RegisterModel($input: RegisterModelInput!) {
  registerModel(input: $input) { ${MODEL} }
}`;

export const SUBMIT_INFERENCE_BATCH = `mutation SubmitInferenceBatch($input: SubmitInferenceBatchInput!) {
  submitInferenceBatch(input: $input) { ${SUMMARY} params }
}`;

export interface TensorSignatureInput {
  name: string;
  type: string;
  dims: number[];
}

/** RegisterModelInput: a model uploaded to /v1/blobs (`onnx`, `labels` by SHA-256) and how rows feed it. */
export interface RegisterModelInput {
  name: string;
  onnx: string;
  labels?: string;
  batchSize?: number;
  inputs?: TensorSignatureInput[];
  outputs?: TensorSignatureInput[];
  preprocess?: {
    input: string;
    width: number;
    height: number;
    keepAspect?: boolean;
    channels?: number;
    colorOrder?: ColorOrder;
    scale?: number;
    mean?: number[];
    std?: number[];
  };
  postprocess?: { type: PostprocessType; output: string; blankIndex?: number; appendSpace?: boolean };
}

/** SubmitInferenceBatchInput as the CLI fills it: `rows` is the SHA-256 of the uploaded JSONL. */
export interface SubmitInferenceBatchInput {
  model: string;
  rows: string;
  name?: string;
  shardRows?: number;
  device?: InferenceDevice;
  maxPrice?: string;
}

/** The parts of an inference job's `params` the CLI reads (the coordinator's InferenceParams). */
export interface InferenceParamsView {
  rows?: { count?: number };
  estimatedCost?: number;
  currency?: string;
}

// Payments ------------------------------------------------------------------------------------------

export interface ChainView {
  cluster: string;
  rpcUrl: string;
  mint: string;
  decimals: number;
  currency: string;
  treasury: string;
  treasuryTokenAccount: string;
  testTokens: boolean;
  /** `tessera:deposit:<account id>`; null when not signed in. */
  depositMemo: string | null;
}

export const CHAIN = `query Chain {
  chain { cluster rpcUrl mint decimals currency treasury treasuryTokenAccount testTokens depositMemo }
}`;

export interface TestTokensView {
  wallet: string;
  tokenAccount: string;
  amount: string;
  sol: number;
  signature: string;
}

export const REQUEST_TEST_TOKENS = `mutation RequestTestTokens($wallet: String!, $amount: String!) {
  requestTestTokens(wallet: $wallet, amount: $amount) { wallet tokenAccount amount sol signature }
}`;

export interface DepositView {
  id: string;
  signature: string;
  amount: string;
  currency: string;
  wallet: string;
  explorerUrl: string | null;
  createdAt: string;
}

const DEPOSIT = `id signature amount currency wallet explorerUrl createdAt`;

export const CONFIRM_DEPOSIT = `mutation ConfirmDeposit($signature: String!) {
  confirmDeposit(signature: $signature) { ${DEPOSIT} }
}`;

export const DEPOSITS = `query Deposits($limit: Int!) { deposits(limit: $limit) { ${DEPOSIT} } }`;

export interface BalanceView {
  available: string;
  reserved: string;
  currency: string;
}

export const BALANCE = `query Balance { me { balance { available reserved currency } } }`;
