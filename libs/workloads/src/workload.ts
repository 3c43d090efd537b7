import type { ContainerSpec, GpuInfo, OutputFile } from '@tessera/protocol';

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
}

/** What the coordinator knows about the machine a task is being leased to. */
export interface ProviderProfile {
  cpuCores: number;
  memoryBytes: number;
  gpus: GpuInfo[];
}

/** Operator policy every plugin validates against. */
export interface WorkloadPolicy {
  /** Images customers may name; nothing else runs on a provider's machine. */
  allowedImages: readonly string[];
  maxTasksPerJob: number;
  maxTimeoutSec: number;
}

/** Looks up an input blob the customer referenced; undefined when it does not exist or is not theirs. */
export type BlobLookup = (sha256: string) => Promise<{ size: number } | undefined>;

export interface ValidationContext {
  policy: WorkloadPolicy;
  lookupBlob: BlobLookup;
}

export type WorkloadInputErrorCode =
  'IMAGE_NOT_ALLOWED' | 'INVALID_PARAMETER' | 'INPUT_NOT_FOUND' | 'TOO_MANY_TASKS' | 'LIMIT_EXCEEDED';

/** A customer's job parameters are wrong; `message` says what to fix. Nothing has been stored. */
export class WorkloadInputError extends Error {
  constructor(
    readonly code: WorkloadInputErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'WorkloadInputError';
  }
}

/**
 * A job kind. The coordinator knows nothing kind-specific: it validates and splits jobs, builds the
 * container spec at lease time and merges outputs through these hooks. Verification hooks (sampling
 * and comparison) join this interface with spot-checks.
 */
export interface WorkloadPlugin<Params = unknown> {
  readonly kind: string;
  /** Validates and normalises parameters, resolving input blobs; throws WorkloadInputError. */
  validate(input: unknown, ctx: ValidationContext): Promise<Params>;
  /** Splits a validated job into tasks; at least one. */
  split(params: Params, policy: WorkloadPolicy): TaskPlan[];
  /** The container that runs one task on one provider (the provider decides CPU vs GPU paths). */
  containerSpec(task: TaskPlan, provider: ProviderProfile): ContainerSpec;
  /** Job outputs from its tasks' outputs, in task order. */
  merge(params: Params, tasks: { index: number; outputs: OutputFile[] }[]): OutputFile[];
}
