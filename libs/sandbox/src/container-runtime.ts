import type { ContainerSpec, OutputFile } from '@tessera/protocol';
import type { LogHandler } from './log-sink';

export interface RunRequest {
  spec: ContainerSpec;
  /** Container name, unique on the host (e.g. `tessera-<attemptId>`). */
  name: string;
  /** Host directory with the task's inputs, mounted read-only at /in; must be readable by uid 10001. */
  inputDir: string;
  /** Empty host directory for the task's outputs, mounted at /out; the runner makes it writable by uid 10001. */
  outputDir: string;
  /** Whether this host can pass NVIDIA GPUs into containers. */
  gpuAvailable: boolean;
  labels?: Record<string, string>;
  /** Receives decoded stdout and stderr as it arrives (see LogSink for the guarantees). */
  onLog: LogHandler;
  /** Aborting cancels the task: SIGTERM, then SIGKILL after `stopGraceMs`. */
  signal?: AbortSignal;
  /** Grace between SIGTERM and SIGKILL on cancel; default 10 s. */
  stopGraceMs?: number;
}

export type RunOutcome = 'exited' | 'timeout' | 'oom' | 'cancelled';

export interface RunResult {
  /** The container's exit status (137 after SIGKILL); -1 when cancelled before it started. */
  exitCode: number;
  outcome: RunOutcome;
  /**
   * Set when the runner killed the task for writing more to /out than its limits allow; the files
   * are left in place and `checkOutputs` will refuse them with the precise reason.
   */
  limitExceeded?: 'outputs';
  startedAt: Date;
  finishedAt: Date;
}

/** What task execution needs from a container engine; DockerRunner implements it, tests fake it. */
export interface ContainerRuntime {
  /** Present locally, or pulled when `pull` is on; else throws RunnerError IMAGE_UNAVAILABLE. */
  ensureImage(ref: string, options?: { pull?: boolean }): Promise<void>;
  run(request: RunRequest): Promise<RunResult>;
  /** The files a finished task left in its output directory, hashed; RunnerError OUTPUT_INVALID when they break its limits. */
  checkOutputs(
    outputDir: string,
    limits: Pick<ContainerSpec['limits'], 'outputBytes' | 'outputFiles'>,
  ): Promise<OutputFile[]>;
}
