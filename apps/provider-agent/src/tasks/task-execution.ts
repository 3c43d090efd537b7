import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Commitment, FailureCode, Lease, OutputFile } from '@tessera/protocol';
import { MAX_LOG_CHUNK_CHARS } from '@tessera/protocol';
import type { Logger } from 'pino';
import { BlobCache, HeldBlob, placeBlob } from '../blobs/blob-cache';
import { BlobClient } from '../blobs/blob-client';
import {
  CoordinatorConnection,
  DisconnectedError,
  RequestRefusedError,
} from '../connection/coordinator-connection';
import { sleep } from '../connection/backoff';
import type { ContainerRuntime } from '@tessera/sandbox';
import { OutputReader, taskSpecOfLease, WorkloadOutputError, WorkloadPlugin } from '@tessera/workloads';
import { CommitmentJournal } from './commitment-journal';
import { imageAllowed } from './image-policy';

export interface ExecutionDeps {
  /** Job kinds' hooks (output checks), shared with the coordinator through libs/workloads. */
  workloads: ReadonlyMap<string, WorkloadPlugin>;
  runtime: ContainerRuntime;
  blobs: BlobClient;
  /** Inputs come from here when cached, and are downloaded into it otherwise. */
  cache: BlobCache;
  connection: CoordinatorConnection;
  workDir: string;
  /** Where the item hashes behind commitments are kept, to prove sampled items later. */
  journal: CommitmentJournal;
  allowedImages: readonly string[];
  /** Pull images that are not on the host (off by default: see AgentConfig.pullImages). */
  pullImages: boolean;
  gpuAvailable: boolean;
  stopGraceMs: number;
  logger: Logger;
}

/** A failure with the protocol code it is reported under. */
export class TaskFailure extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

const LOG_FLUSH_MS = 250;
const TRANSFER_ATTEMPTS = 3;
/** How long past its lease an outcome is still worth delivering to a coordinator that is down. */
const REPORT_GRACE_MS = 5 * 60_000;

/**
 * One lease, start to finish: inputs in (hash-checked), container run in the sandbox with its logs
 * streamed, outputs checked and uploaded, outcome reported. The work directory is removed whatever
 * happens, and the outcome report is retried across reconnects until the coordinator answers.
 */
export class TaskExecution {
  private readonly abort = new AbortController();
  private cancelReason?: string;
  private logBuffer = '';
  private logStream: 'stdout' | 'stderr' = 'stdout';
  private logTimer?: NodeJS.Timeout;
  readonly done: Promise<void>;
  /** When the coordinator last said this lease runs out (updated by heartbeat acks). */
  private leaseExpiresAt: number;
  private reportsAbandoned = false;
  /** Cached inputs this task uses: released once its directory is gone. */
  private readonly heldBlobs: HeldBlob[] = [];

  constructor(
    readonly lease: Lease,
    private readonly deps: ExecutionDeps,
  ) {
    this.leaseExpiresAt = Date.parse(lease.leaseExpiresAt);
    this.done = this.execute();
  }

  /** A heartbeat renewed the lease. */
  renewed(leaseExpiresAt: string): void {
    this.leaseExpiresAt = Math.max(this.leaseExpiresAt, Date.parse(leaseExpiresAt));
  }

  /** Stop waiting for the coordinator to come back to hear this task's outcome (hard shutdown). */
  abandonReports(): void {
    this.reportsAbandoned = true;
  }

  get attemptId(): string {
    return this.lease.attemptId;
  }

  /** Stops the container (SIGTERM, then SIGKILL after the grace period); reported as CANCELLED. */
  cancel(reason: string): void {
    if (this.abort.signal.aborted) return;
    this.cancelReason = reason;
    this.deps.logger.warn({ attemptId: this.attemptId, reason }, 'cancelling task');
    this.abort.abort();
  }

  private async execute(): Promise<void> {
    const { lease, deps } = this;
    const log = deps.logger.child({ attemptId: lease.attemptId, jobId: lease.jobId });
    const dir = join(deps.workDir, 'attempts', lease.attemptId);
    const inputDir = join(dir, 'in');
    const outputDir = join(dir, 'out');
    try {
      const outputs = await this.runToOutputs(inputDir, outputDir, log);
      await this.report(
        {
          type: 'task.completed',
          attemptId: lease.attemptId,
          outputs: outputs.files,
          ...outputs.times,
          ...(outputs.commitment ? { commitment: outputs.commitment } : {}),
        },
        log,
      );
      log.info({ outputs: outputs.files.length, commitment: outputs.commitment }, 'task completed');
    } catch (error) {
      const failure =
        error instanceof TaskFailure
          ? error
          : new TaskFailure(
              (error as { code?: FailureCode }).code ?? 'AGENT_ERROR',
              error instanceof Error ? error.message : String(error),
            );
      log.warn({ code: failure.code, reason: failure.message }, 'task failed');
      await this.report(
        {
          type: 'task.failed',
          attemptId: lease.attemptId,
          code: failure.code,
          message: failure.message.slice(0, 2000),
          ...(failure.exitCode !== undefined ? { exitCode: failure.exitCode } : {}),
        },
        log,
      );
    } finally {
      clearInterval(this.logTimer);
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
        log.error({ err: error }, 'could not remove the work directory'),
      );
      for (const blob of this.heldBlobs) blob.release();
    }
  }

  private async runToOutputs(
    inputDir: string,
    outputDir: string,
    log: Logger,
  ): Promise<{
    files: OutputFile[];
    times: { startedAt: string; finishedAt: string };
    commitment?: Commitment;
  }> {
    const { lease, deps } = this;
    const spec = lease.container;
    if (!imageAllowed(spec.image, deps.allowedImages)) {
      throw new TaskFailure(
        'SANDBOX_REFUSED',
        `image ${spec.image} is not on this agent's allow-list (${deps.allowedImages.join(', ')})`,
      );
    }
    await mkdir(inputDir, { recursive: true });
    await mkdir(outputDir, { recursive: true });
    await deps.runtime.ensureImage(spec.image, { pull: deps.pullImages });
    for (const input of spec.inputs) {
      this.throwIfCancelled();
      await this.withRetries(`download ${input.path}`, 'INPUT_UNAVAILABLE', () =>
        this.placeInput(input, join(inputDir, input.path)),
      );
    }
    this.throwIfCancelled();
    await this.report({ type: 'task.started', attemptId: lease.attemptId }, log, 5_000);
    this.logTimer = setInterval(() => this.flushLogs(), LOG_FLUSH_MS);
    const result = await deps.runtime.run({
      spec,
      name: `tessera-${lease.attemptId}`,
      inputDir,
      outputDir,
      gpuAvailable: deps.gpuAvailable,
      labels: { 'tessera.attempt': lease.attemptId, 'tessera.job': lease.jobId },
      onLog: (stream, text) => this.bufferLog(stream, text),
      signal: this.abort.signal,
      stopGraceMs: deps.stopGraceMs,
    });
    this.flushLogs();
    switch (result.outcome) {
      case 'cancelled':
        throw new TaskFailure('CANCELLED', this.cancelReason ?? 'cancelled');
      case 'timeout':
        throw new TaskFailure(
          'TIMEOUT',
          `the task ran past its ${spec.limits.timeoutSec} s limit and was killed`,
        );
      case 'oom':
        throw new TaskFailure(
          'OOM',
          `the task exceeded its ${Math.round(spec.limits.memoryBytes / 2 ** 20)} MiB memory limit and was killed`,
        );
      case 'exited':
        if (result.exitCode !== 0)
          throw new TaskFailure(
            'EXIT_NONZERO',
            `the command exited with code ${result.exitCode}`,
            result.exitCode,
          );
    }
    const files = await deps.runtime.checkOutputs(outputDir, spec.limits);
    await this.checkKindOutputs(files, outputDir);
    // Committed before anything is uploaded: the coordinator samples items to check only after it.
    const commitment = await this.commitToItems(files, outputDir);
    for (const file of files) {
      this.throwIfCancelled();
      await this.withRetries(`upload ${file.path}`, 'UPLOAD_FAILED', () =>
        deps.blobs.upload(join(outputDir, file.path), file.sha256, file.size),
      );
    }
    return {
      files: files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })),
      times: { startedAt: result.startedAt.toISOString(), finishedAt: result.finishedAt.toISOString() },
      commitment,
    };
  }

  /** An input from the blob cache (downloaded into it first), or straight here when it cannot be cached. */
  private async placeInput(input: { sha256: string; size: number }, destination: string): Promise<void> {
    const held = await this.deps.cache.acquire(input.sha256, input.size);
    if (!held) return this.deps.blobs.download(input.sha256, input.size, destination);
    this.heldBlobs.push(held);
    await placeBlob(held.path, destination);
  }

  /** The job kind's own checks (a render chunk: every frame there, decodable, right size, not blank). */
  private async checkKindOutputs(files: OutputFile[], outputDir: string): Promise<void> {
    const plugin = this.deps.workloads.get(this.lease.kind);
    if (!plugin?.checkOutputs) return;
    try {
      await plugin.checkOutputs(taskSpecOfLease(this.lease), files, outputReader(outputDir), true);
    } catch (error) {
      if (error instanceof WorkloadOutputError) throw new TaskFailure('OUTPUT_INVALID', error.message);
      throw error;
    }
  }

  /**
   * The commitment to the task's output items (docs/protocol.md, "Commitments"): the RFC 6962
   * Merkle root over the item hashes the kind computes from the files on disk, and their count. The
   * hashes go to the journal first, so that sampled items can be proven later, even after a restart.
   * Undefined for kinds without items (container).
   */
  private async commitToItems(files: OutputFile[], outputDir: string): Promise<Commitment | undefined> {
    const plugin = this.deps.workloads.get(this.lease.kind);
    if (!plugin?.commitItems) return undefined;
    try {
      const items = await plugin.commitItems(taskSpecOfLease(this.lease), files, outputReader(outputDir));
      const root = await this.deps.journal.record(
        this.lease.attemptId,
        items.map((item) => item.sha256),
      );
      return { root, items: items.length };
    } catch (error) {
      if (error instanceof WorkloadOutputError) throw new TaskFailure('OUTPUT_INVALID', error.message);
      throw error;
    }
  }

  private throwIfCancelled(): void {
    if (this.abort.signal.aborted) throw new TaskFailure('CANCELLED', this.cancelReason ?? 'cancelled');
  }

  private async withRetries(what: string, code: FailureCode, work: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const permanent = (error as { permanent?: boolean }).permanent === true;
        if (permanent || attempt >= TRANSFER_ATTEMPTS) {
          throw new TaskFailure(code, `${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
        await sleep(500 * attempt, this.abort.signal);
      }
    }
  }

  private bufferLog(stream: 'stdout' | 'stderr', text: string): void {
    if (stream !== this.logStream) this.flushLogs();
    this.logStream = stream;
    this.logBuffer += text;
    if (this.logBuffer.length >= MAX_LOG_CHUNK_CHARS) this.flushLogs();
  }

  private flushLogs(): void {
    while (this.logBuffer.length > 0) {
      const chunk = this.logBuffer.slice(0, MAX_LOG_CHUNK_CHARS);
      this.logBuffer = this.logBuffer.slice(chunk.length);
      // Logs are best effort: while disconnected they are dropped, the task itself is not affected.
      this.deps.connection.send({
        type: 'task.log',
        attemptId: this.attemptId,
        stream: this.logStream,
        data: chunk,
      });
    }
  }

  /**
   * Delivers a report, waiting through disconnects: a coordinator that restarts still hears the
   * outcome. Gives up when the coordinator refuses it (the lease is gone: the task is someone else's
   * now), after `deadlineMs` for optional reports, and while disconnected once the lease is long
   * past (the task has surely been re-queued) or reports were abandoned.
   */
  private async report(
    message:
      | { type: 'task.started'; attemptId: string }
      | {
          type: 'task.completed';
          attemptId: string;
          outputs: OutputFile[];
          startedAt: string;
          finishedAt: string;
          commitment?: Commitment;
        }
      | { type: 'task.failed'; attemptId: string; code: FailureCode; message: string; exitCode?: number },
    log: Logger,
    deadlineMs = Infinity,
  ): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      if (
        !this.deps.connection.isReady &&
        (this.reportsAbandoned || Date.now() > this.leaseExpiresAt + REPORT_GRACE_MS)
      ) {
        log.warn(
          { type: message.type },
          'giving up reporting: the coordinator stayed unreachable past the lease',
        );
        return;
      }
      try {
        await this.deps.connection.whenReady(
          AbortSignal.timeout(Math.max(1, Math.min(deadline - Date.now(), 2_000))),
        );
        await this.deps.connection.request(message);
        return;
      } catch (error) {
        if (
          error instanceof RequestRefusedError &&
          (error.code === 'RATE_LIMITED' || error.code === 'INTERNAL')
        ) {
          await sleep(1_000); // transient on the coordinator's side: the report still has to arrive
          continue;
        }
        if (error instanceof RequestRefusedError) {
          log.warn({ type: message.type, reason: error.message }, 'the coordinator refused the report');
          if (message.type === 'task.started' && error.code === 'NOT_LEASED')
            this.cancel('the lease is gone');
          return;
        }
        if (!(error instanceof DisconnectedError)) throw error;
        await sleep(250);
      }
    }
  }
}

/** Reads outputs from the task's output directory, as the workload hooks ask for them. */
function outputReader(outputDir: string): OutputReader {
  return (file, maxBytes) => readPrefix(join(outputDir, file.path), maxBytes);
}

/** The first `maxBytes` of a file (all of it without a limit). */
async function readPrefix(path: string, maxBytes?: number): Promise<Buffer> {
  if (maxBytes === undefined) return readFile(path);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
