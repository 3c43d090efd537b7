import type { Readable } from 'node:stream';
import type { ContainerSpec, GpuInfo, Lease, OutputFile } from '@tessera/protocol';
import type { ModelInfo } from './inference/model';
import type { Region } from './verify/image-compare';
import type { VerificationThresholds, Verdict } from './verify/thresholds';

/** What a task needs from a provider's machine; the scheduler only leases tasks that fit. */
export interface ResourceRequirements {
  cpus: number;
  memoryBytes: number;
  gpus: number;
  /** VRAM each GPU must have; 0 when no GPU is needed. */
  vramBytes: number;
}

/** An input blob the task mounts under /in. */
export interface TaskInput {
  sha256: string;
  size: number;
  path: string;
}

/** One unit of work a job splits into, as the coordinator stores it. */
export interface TaskPlan {
  index: number;
  /** Kind-specific parameters of this task only (e.g. its frame range), JSON. */
  params: Record<string, unknown>;
  image: string;
  requirements: ResourceRequirements;
  timeoutSec: number;
  inputs: TaskInput[];
  /** Units of progress this task is worth: frames of a render chunk, rows of a shard; 1 otherwise. */
  items: number;
  /** SHA-256 of an input worth already having (a model): providers that hold it are preferred for this task. */
  cacheKey?: string;
}

/** A stored task as the hooks that run per task see it (its progress weight is the coordinator's business). */
export type TaskSpec = Omit<TaskPlan, 'items'>;

/** A leased task as an agent sees it, in the form the hooks take (output checks, commitments). */
export function taskSpecOfLease(lease: Lease): TaskSpec {
  const spec = lease.container;
  return {
    index: lease.task.index,
    params: lease.task.params,
    image: spec.image,
    requirements: {
      cpus: spec.limits.cpus,
      memoryBytes: spec.limits.memoryBytes,
      gpus: spec.gpus,
      vramBytes: 0,
    },
    timeoutSec: spec.limits.timeoutSec,
    inputs: spec.inputs,
  };
}

/** What the coordinator knows about the machine a task is being leased to. */
export interface ProviderProfile {
  cpuCores: number;
  memoryBytes: number;
  gpus: GpuInfo[];
  /** Images already on the machine. */
  images: string[];
  /** Tasks the agent runs at once: a task may use its share of the machine. */
  slots: number;
}

/** Operator policy every plugin validates against. */
export interface WorkloadPolicy {
  /** Images customers may name (the `container` kind); nothing else runs on a provider's machine. */
  allowedImages: readonly string[];
  maxTasksPerJob: number;
  maxTimeoutSec: number;
}

/** Looks up an input blob the customer referenced; undefined when it does not exist or is not theirs. */
export type BlobLookup = (sha256: string) => Promise<{ size: number } | undefined>;

/** What Blender reports about a scene file (see libs/workloads/src/render/blender/inspect.py). */
export interface SceneInfo {
  blenderVersion: string;
  fileVersion: string;
  scene: string;
  frameStart: number;
  frameEnd: number;
  frameStep: number;
  fps: number;
  resolutionX: number;
  resolutionY: number;
  resolutionPercentage: number;
  engine: string;
  camera: boolean;
  samples: number;
  autoRunScriptsPresent: boolean;
}

/** The market's current prices, in tokens. */
export interface MarketPrices {
  currency: string;
  /** Price of rendering one megapixel at one sample (Cycles), the unit render jobs are priced in. */
  renderPerMegapixelSample: number;
  /** Price of one CPU-second of inference (sized by the model's measured time per row). */
  inferencePerCpuSecond: number;
}

export interface ValidationContext {
  policy: WorkloadPolicy;
  lookupBlob: BlobLookup;
  /** Opens a scene in Blender, in the sandbox, and reports it; throws WorkloadInputError when Blender cannot. */
  inspectScene?: (blend: { sha256: string; size: number }) => Promise<SceneInfo>;
  market?: MarketPrices;
  /** A registered model of the customer's; undefined when it does not exist or is not theirs. */
  lookupModel?: (id: string) => Promise<ModelInfo | undefined>;
  /** Streams a blob the customer may read (checked with lookupBlob first). */
  openBlob?: (sha256: string) => Promise<Readable | undefined>;
  /** Stores derived data (an inference shard) as a blob the customer owns. */
  storeBlob?: (data: Buffer) => Promise<{ sha256: string; size: number }>;
  /** Providers online that run this kind. */
  onlineProviders?: number;
}

/** What a plugin may consider when splitting a job. */
export interface SplitContext {
  policy: WorkloadPolicy;
  /** Providers online that run this kind: more of them favours smaller tasks. */
  onlineProviders: number;
}

export type WorkloadInputErrorCode =
  | 'IMAGE_NOT_ALLOWED'
  | 'INVALID_PARAMETER'
  | 'INPUT_NOT_FOUND'
  | 'TOO_MANY_TASKS'
  | 'LIMIT_EXCEEDED'
  | 'NOT_A_BLEND'
  | 'SCENE_INVALID'
  | 'FRAMES_OUT_OF_RANGE'
  | 'PRICE_TOO_LOW'
  | 'INVALID_ROWS'
  | 'UNAVAILABLE';

/** One line of an uploaded file (a batch's JSONL) that cannot be taken, 1-based as editors number them. */
export interface LineProblem {
  line: number;
  message: string;
}

/** A customer's job parameters are wrong; `message` says what to fix. Nothing has been stored. */
export class WorkloadInputError extends Error {
  constructor(
    readonly code: WorkloadInputErrorCode,
    message: string,
    readonly field?: string,
    /** The lines at fault, when the problem is in a file's lines (also named in `message`). */
    readonly lines?: readonly LineProblem[],
  ) {
    super(message);
    this.name = 'WorkloadInputError';
  }
}

/** A task's outputs are not what the task promised (a frame missing, blank, of the wrong size). */
export class WorkloadOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadOutputError';
  }
}

/**
 * Reads a task output: `path` relative to the output directory (agent) or an output's blob
 * (coordinator); at most `maxBytes` bytes when given.
 */
export type OutputReader = (file: OutputFile, maxBytes?: number) => Promise<Buffer>;

/** One output item a provider commits to (a frame, a row): its key and the hash of its canonical content. */
export interface CommittedItem {
  /** Names the item within its task: `frame-12`, `row-40`. */
  key: string;
  /** Lowercase hex SHA-256 of the item's canonical content (docs/protocol.md, "Commitments"). */
  sha256: string;
}

/**
 * One item a spot-check re-executes: its position in the task's item order (the leaf index in the
 * provider's commitment), its key, and for renders the box of the frame that is re-rendered.
 */
export interface CheckSample {
  item: number;
  key: string;
  region?: Region;
}

/** What a plugin may use to build the task that re-executes a sample. */
export interface CheckContext {
  /** The checked provider's machine: the check asks for the same kind of device (CPU or GPU). */
  provider: ProviderProfile;
  /** Reads a stored blob whole (a task's input). */
  readBlob(sha256: string): Promise<Buffer>;
  /** Stores derived input for the check (an inference check's rows). */
  storeBlob(data: Buffer): Promise<{ sha256: string; size: number }>;
}

/** How one sampled item compared. */
export interface SampleComparison {
  item: number;
  key: string;
  verdict: Verdict;
  reason: string;
  /** Render samples: dB (Infinity when identical, null when nothing could be compared). */
  psnr?: number | null;
  ssim?: number | null;
}

/** A spot-check's conclusion: reject when any sample rejects, inconclusive when any is, else accept. */
export interface CheckOutcome {
  verdict: Verdict;
  reason: string;
  samples: SampleComparison[];
}

/** Combines per-sample comparisons into a check's outcome (reject beats inconclusive beats accept). */
export function combineSamples(samples: SampleComparison[]): CheckOutcome {
  const worst =
    samples.find((s) => s.verdict === 'reject') ?? samples.find((s) => s.verdict === 'inconclusive');
  if (!worst) {
    return {
      verdict: 'accept',
      reason: `all ${samples.length} samples match (${samples.map((s) => s.key).join(', ')})`,
      samples,
    };
  }
  return { verdict: worst.verdict, reason: `${worst.key}: ${worst.reason}`, samples };
}

/**
 * A job kind. The coordinator knows nothing kind-specific: it validates and splits jobs, builds the
 * container spec at lease time, checks and merges outputs through these hooks; the agent runs the
 * same output check before it uploads. Verification hooks (sampling and comparison) join this
 * interface with spot-checks.
 */
export interface WorkloadPlugin<Params = unknown> {
  readonly kind: string;
  /** Validates and normalises parameters, resolving input blobs; throws WorkloadInputError. */
  validate(input: unknown, ctx: ValidationContext): Promise<Params>;
  /** Splits a validated job into tasks; at least one. */
  split(params: Params, ctx: SplitContext): TaskPlan[];
  /** The container that runs one task on one provider (the provider decides CPU vs GPU paths). */
  containerSpec(task: TaskSpec, provider: ProviderProfile): ContainerSpec;
  /**
   * Checks a finished task's outputs before they count; throws WorkloadOutputError with a precise
   * reason. `deep` checks read whole files (the agent, on local disk); shallow ones read only what
   * the coordinator can afford per completion (presence, headers).
   */
  checkOutputs?(task: TaskSpec, outputs: OutputFile[], read: OutputReader, deep: boolean): Promise<void>;
  /**
   * The task's output items, which a commitment's Merkle tree covers and spot-checks sample: every
   * item the task promised (its `items`), always in the same order (frames in frame order, rows in
   * row order). Each hash is over the item's canonical content, not its file, so that equal work
   * hashes equally whatever the encoding (PNG metadata and compression, JSON key order and spacing).
   * Called by the agent after its deep `checkOutputs` passed; throws WorkloadOutputError. Kinds
   * without it commit to nothing.
   */
  commitItems?(task: TaskSpec, outputs: OutputFile[], read: OutputReader): Promise<CommittedItem[]>;
  /** Job outputs from its tasks' outputs, in task order. */
  merge(params: Params, tasks: { index: number; outputs: OutputFile[] }[]): OutputFile[];

  // Spot-checks (DESIGN.md §5). Kinds with commitItems implement all four; the coordinator draws the
  // seed after the commitment is stored, so a provider can neither predict nor steer the sample.

  /**
   * The items a spot-check of this task re-executes, drawn from `seed` alone (the same seed gives
   * the same sample); [] when the task's outputs cannot be spot-checked (e.g. EXR frames).
   */
  sampleCheck?(task: TaskSpec, items: number, seed: Buffer): CheckSample[];
  /** The task a verifier runs to re-execute `samples`: same kind, same image, just those items. */
  checkTask?(task: TaskSpec, samples: CheckSample[], ctx: CheckContext): Promise<Omit<TaskPlan, 'index'>>;
  /**
   * The share of the task's compute that re-executing `samples` costs, in (0, 1]: what its verifier
   * is paid, as a fraction of the task's price.
   */
  checkShare?(task: TaskSpec, samples: CheckSample[]): number;
  /** The canonical hashes of items `indices` (as commitItems computes them), from the stored outputs. */
  itemHashes?(
    task: TaskSpec,
    outputs: OutputFile[],
    indices: number[],
    read: OutputReader,
  ): Promise<string[]>;
  /**
   * Compares the provider's outputs (`claimed`) with the verifier's (`reference`, the outputs of the
   * check task) on each sample. Never throws on bad outputs: a missing or undecodable file on the
   * claimed side is a reject, on the reference side an inconclusive (the verifier's fault).
   */
  compareCheck?(
    task: TaskSpec,
    claimed: OutputFile[],
    samples: CheckSample[],
    reference: OutputFile[],
    read: OutputReader,
    thresholds: VerificationThresholds,
  ): Promise<CheckOutcome>;
}

/** Whether a task is a spot-check of another task (its params carry the samples it re-executes). */
export function isCheckTask(task: { params: Record<string, unknown> }): boolean {
  return task.params.check !== undefined && task.params.check !== null;
}
