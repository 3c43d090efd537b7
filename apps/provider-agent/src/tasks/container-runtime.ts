import type { ContainerSpec } from '@tessera/protocol';

export interface RunRequest {
  spec: ContainerSpec;
  name: string;
  inputDir: string;
  outputDir: string;
  gpuAvailable: boolean;
  labels?: Record<string, string>;
  onLog: (stream: 'stdout' | 'stderr', text: string) => void;
  signal?: AbortSignal;
  stopGraceMs?: number;
}

export interface RunResult {
  exitCode: number;
  outcome: 'exited' | 'timeout' | 'oom' | 'cancelled';
  startedAt: Date;
  finishedAt: Date;
}

export interface OutputFileInfo {
  path: string;
  size: number;
  sha256: string;
}

/** What task execution needs from a container engine; DockerRunner implements it, tests fake it. */
export interface ContainerRuntime {
  /** Present locally, or pulled when `pull` is on; else throws with code IMAGE_UNAVAILABLE. */
  ensureImage(ref: string, options?: { pull?: boolean }): Promise<void>;
  run(request: RunRequest): Promise<RunResult>;
  checkOutputs(outputDir: string, limits: ContainerSpec['limits']): Promise<OutputFileInfo[]>;
}
