import { z } from 'zod';
import {
  MAX_CLAIM_CACHED_BLOBS,
  MAX_COMMITMENT_ITEMS,
  MAX_LOG_CHUNK_CHARS,
  MAX_PROOF_ITEMS,
} from './constants';

// Shared field shapes -------------------------------------------------------------------------------

const id = z.string().min(1).max(64);
const uuid = z.uuid();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 digest');
const base58 = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]+$/, 'base58');
const bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const timestamp = z.iso.datetime();
/** A relative path inside the task's input or output directory: no `..`, no leading slash. */
export const relativePath = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (p) => !p.startsWith('/') && !p.split('/').some((part) => part === '..' || part === '.' || part === ''),
    'a relative path without "..", "." or empty segments',
  )
  .refine((p) => !/[\0\\]/.test(p), 'no NUL or backslash');

export const GpuInfoSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  name: z.string().max(200),
  uuid: z.string().max(100).optional(),
  vramBytes: bytes,
  driverVersion: z.string().max(50),
  computeCapability: z.string().max(10).optional(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

export const CapabilitiesSchema = z.strictObject({
  /** Workload kinds this agent runs (e.g. `container`, `render`, `inference`). */
  kinds: z.array(z.string().max(50)).max(50),
  /** How many tasks the agent runs at once. */
  slots: z.number().int().min(1).max(64),
  cpu: z.strictObject({ cores: z.number().int().min(1).max(4096), model: z.string().max(200) }),
  memoryBytes: bytes,
  diskFreeBytes: bytes,
  gpus: z.array(GpuInfoSchema).max(64),
  docker: z.strictObject({ version: z.string().max(50), apiVersion: z.string().max(20) }),
  /** Image references present on the host; tasks on these images are offered first. */
  images: z.array(z.string().max(300)).max(1000),
  os: z.string().max(50),
  arch: z.string().max(50),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

export const FailureCodeSchema = z.enum([
  /** The task's command exited non-zero. */
  'EXIT_NONZERO',
  /** The task ran past its wall-clock limit and was killed. */
  'TIMEOUT',
  /** The container was killed for exceeding its memory limit. */
  'OOM',
  /** The image is not on the host and cannot be pulled or built there. */
  'IMAGE_UNAVAILABLE',
  /** An input blob could not be downloaded or did not match its hash. */
  'INPUT_UNAVAILABLE',
  /** Outputs broke a limit (count, size, file type) or failed the workload's own checks. */
  'OUTPUT_INVALID',
  /** Uploading an output failed. */
  'UPLOAD_FAILED',
  /** The agent refused the container spec (image not allowed here, unsupported GPU request). */
  'SANDBOX_REFUSED',
  /** The coordinator asked for cancellation, or the agent is shutting down. */
  'CANCELLED',
  /** Anything else that went wrong on the agent. */
  'AGENT_ERROR',
]);
export type FailureCode = z.infer<typeof FailureCodeSchema>;

// What the coordinator tells an agent to run ------------------------------------------------------

export const ContainerSpecSchema = z.strictObject({
  image: z.string().min(1).max(300),
  command: z.array(z.string().max(4096)).min(1).max(256),
  env: z.record(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .max(128),
    z.string().max(4096),
  ),
  inputs: z.array(z.strictObject({ sha256, size: bytes, path: relativePath })).max(10_000),
  limits: z.strictObject({
    cpus: z.number().positive().max(1024),
    memoryBytes: bytes,
    pids: z.number().int().min(16).max(1_000_000),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600),
    tmpBytes: bytes,
    outputBytes: bytes,
    outputFiles: z.number().int().min(1).max(100_000),
  }),
  /** GPUs to pass through; 0 for a CPU task. */
  gpus: z.number().int().min(0).max(64),
});
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;

// Coordinator → agent objects are loose: an agent ignores fields it does not know.
export const LeaseSchema = z.looseObject({
  attemptId: uuid,
  taskId: uuid,
  jobId: uuid,
  kind: z.string(),
  leaseExpiresAt: timestamp,
  /** The task as its job kind describes it (e.g. a render chunk's frames), for the kind's output checks. */
  task: z.looseObject({ index: z.number().int().nonnegative(), params: z.record(z.string(), z.unknown()) }),
  container: ContainerSpecSchema,
});
export type Lease = z.infer<typeof LeaseSchema>;

export const OutputFileSchema = z.strictObject({ path: relativePath, sha256, size: bytes });
export type OutputFile = z.infer<typeof OutputFileSchema>;

// Agent → coordinator -------------------------------------------------------------------------------

export const AuthMessageSchema = z.strictObject({
  type: z.literal('auth'),
  id,
  protocol: z.number().int(),
  /** The provider's ed25519 public key, base58 (its Solana address). */
  address: base58.min(32).max(44),
  /**
   * The wallet that owns this machine and is paid for its work, base58; absent: the provider's own
   * address. Spot-checks are never done by a machine of the same owner.
   */
  owner: base58.min(32).max(44).optional(),
  /** Signature over `authPayload(coordinatorId, nonce, address)`, base58. */
  signature: base58.min(64).max(90),
  nonce: z.string().min(16).max(128),
  agent: z.strictObject({ version: z.string().max(50), name: z.string().max(100).optional() }),
  capabilities: CapabilitiesSchema,
});

export const CapabilitiesMessageSchema = z.strictObject({
  type: z.literal('capabilities'),
  id,
  capabilities: CapabilitiesSchema,
});

export const ClaimMessageSchema = z.strictObject({
  type: z.literal('claim'),
  id,
  /**
   * Blobs in the agent's cache, most recently used first: tasks whose cache key is one of them are
   * offered before all others. Absent: the list from this socket's previous claim stands (none before
   * the first); `[]` clears it.
   */
  cachedBlobs: z.array(sha256).max(MAX_CLAIM_CACHED_BLOBS).optional(),
});

export const HeartbeatMessageSchema = z.strictObject({
  type: z.literal('heartbeat'),
  id,
  /** Every attempt the agent is still working on; leases not listed are not renewed. */
  attempts: z.array(uuid).max(64),
});

export const TaskStartedMessageSchema = z.strictObject({
  type: z.literal('task.started'),
  id,
  attemptId: uuid,
});

export const TaskLogMessageSchema = z.strictObject({
  type: z.literal('task.log'),
  attemptId: uuid,
  stream: z.enum(['stdout', 'stderr', 'agent']),
  data: z.string().max(MAX_LOG_CHUNK_CHARS),
});

/**
 * What a provider commits to when it completes a task: the root of an RFC 6962 Merkle tree over its
 * output items' canonical hashes, in the kind's item order, and how many items there are
 * (docs/protocol.md, "Commitments"). Spot-checks sample items only after this arrived.
 */
export const CommitmentSchema = z.strictObject({
  root: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256 Merkle root'),
  items: z.number().int().min(0).max(MAX_COMMITMENT_ITEMS),
});
export type Commitment = z.infer<typeof CommitmentSchema>;

export const TaskCompletedMessageSchema = z.strictObject({
  type: z.literal('task.completed'),
  id,
  attemptId: uuid,
  /** Every file the task wrote, already uploaded to the blob store under its hash. */
  outputs: z.array(OutputFileSchema).max(100_000),
  startedAt: timestamp,
  finishedAt: timestamp,
  /** Required for kinds with output items (render, inference); absent for the others. */
  commitment: CommitmentSchema.optional(),
});

/** One sampled item proven against a commitment: its hash and its RFC 6962 audit path. */
export const ItemProofSchema = z.strictObject({
  /** The item's position in the task's item order (0-based), as `proof.request` named it. */
  item: z.number().int().nonnegative().max(MAX_COMMITMENT_ITEMS),
  /** The item hash the provider committed to (docs/protocol.md, "Commitments"). */
  sha256,
  /** Sibling hashes from the leaf up to the root, lowercase hex. */
  path: z.array(sha256).max(64),
});
export type ItemProof = z.infer<typeof ItemProofSchema>;

/**
 * The answer to `proof.request`: every asked item with its audit path. `proofs: []` says the agent
 * cannot prove them (it lost what it committed to): the spot-check then fails.
 */
export const TaskProofMessageSchema = z.strictObject({
  type: z.literal('task.proof'),
  id,
  attemptId: uuid,
  proofs: z.array(ItemProofSchema).max(MAX_PROOF_ITEMS),
});

export const TaskFailedMessageSchema = z.strictObject({
  type: z.literal('task.failed'),
  id,
  attemptId: uuid,
  code: FailureCodeSchema,
  message: z.string().max(2000),
  exitCode: z.number().int().optional(),
});

export const AgentMessageSchema = z.discriminatedUnion('type', [
  AuthMessageSchema,
  CapabilitiesMessageSchema,
  ClaimMessageSchema,
  HeartbeatMessageSchema,
  TaskStartedMessageSchema,
  TaskLogMessageSchema,
  TaskCompletedMessageSchema,
  TaskFailedMessageSchema,
  TaskProofMessageSchema,
]);
export type AgentMessage = z.infer<typeof AgentMessageSchema>;
export type AuthMessage = z.infer<typeof AuthMessageSchema>;
export type HeartbeatMessage = z.infer<typeof HeartbeatMessageSchema>;
export type TaskCompletedMessage = z.infer<typeof TaskCompletedMessageSchema>;
export type TaskFailedMessage = z.infer<typeof TaskFailedMessageSchema>;
export type TaskLogMessage = z.infer<typeof TaskLogMessageSchema>;
export type TaskProofMessage = z.infer<typeof TaskProofMessageSchema>;

// Coordinator → agent -------------------------------------------------------------------------------

export const ErrorCodeSchema = z.enum([
  'BAD_MESSAGE',
  'UNAUTHENTICATED',
  'AUTH_FAILED',
  'PROTOCOL_VERSION',
  'BANNED',
  'NOT_LEASED',
  'OUTPUT_MISSING',
  'OUTPUT_INVALID',
  'RATE_LIMITED',
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ChallengeMessageSchema = z.looseObject({
  type: z.literal('challenge'),
  protocol: z.number().int(),
  coordinatorId: z.string(),
  nonce: z.string(),
  expiresAt: timestamp,
});

export const WelcomeMessageSchema = z.looseObject({
  type: z.literal('welcome'),
  re: id,
  providerId: uuid,
  sessionId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
  leaseTtlMs: z.number().int().positive(),
  /** Bearer token for the blob HTTP API, valid until `blobTokenExpiresAt`; renewed on every heartbeat ack. */
  blobToken: z.string(),
  blobTokenExpiresAt: timestamp,
  maxMessageBytes: z.number().int().positive(),
});

export const OkMessageSchema = z.looseObject({ type: z.literal('ok'), re: id });

export const LeaseMessageSchema = z.looseObject({ type: z.literal('lease'), re: id, lease: LeaseSchema });

export const NoWorkMessageSchema = z.looseObject({
  type: z.literal('no-work'),
  re: id,
  retryAfterMs: z.number().int().nonnegative(),
});

export const HeartbeatAckMessageSchema = z.looseObject({
  type: z.literal('heartbeat.ack'),
  re: id,
  renewed: z.array(z.looseObject({ attemptId: uuid, leaseExpiresAt: timestamp })),
  /** Attempts the agent listed that it no longer holds (expired, cancelled, unknown): stop them. */
  revoked: z.array(z.looseObject({ attemptId: uuid, reason: z.string() })),
  blobToken: z.string(),
  blobTokenExpiresAt: timestamp,
});

export const CancelMessageSchema = z.looseObject({
  type: z.literal('cancel'),
  attemptId: uuid,
  reason: z.string(),
});

/**
 * A spot-check sampled these items of a task the agent completed: answer with `task.proof` (their
 * hashes and audit paths against the commitment sent with `task.completed`). Sent after the
 * completion is acknowledged, and again after each reconnect until answered.
 */
export const ProofRequestMessageSchema = z.looseObject({
  type: z.literal('proof.request'),
  attemptId: uuid,
  items: z.array(z.number().int().nonnegative()).min(1).max(MAX_PROOF_ITEMS),
  /** Answer by then, or the check fails. */
  deadline: timestamp,
});

export const ErrorMessageSchema = z.looseObject({
  type: z.literal('error'),
  re: id.optional(),
  code: ErrorCodeSchema,
  message: z.string(),
});

export const CoordinatorMessageSchema = z.discriminatedUnion('type', [
  ChallengeMessageSchema,
  WelcomeMessageSchema,
  OkMessageSchema,
  LeaseMessageSchema,
  NoWorkMessageSchema,
  HeartbeatAckMessageSchema,
  CancelMessageSchema,
  ProofRequestMessageSchema,
  ErrorMessageSchema,
]);
export type CoordinatorMessage = z.infer<typeof CoordinatorMessageSchema>;
export type ChallengeMessage = z.infer<typeof ChallengeMessageSchema>;
export type WelcomeMessage = z.infer<typeof WelcomeMessageSchema>;
export type LeaseMessage = z.infer<typeof LeaseMessageSchema>;
export type NoWorkMessage = z.infer<typeof NoWorkMessageSchema>;
export type HeartbeatAckMessage = z.infer<typeof HeartbeatAckMessageSchema>;
export type CancelMessage = z.infer<typeof CancelMessageSchema>;
export type ProofRequestMessage = z.infer<typeof ProofRequestMessageSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
