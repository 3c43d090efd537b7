import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import type { ContainerSpec } from '@tessera/protocol';
import { DockerRunner, RunResult } from '@tessera/sandbox';
import type { BlobStore } from '../blobs/blob-store';

const MAX_LOG = 64 * 1024;

export interface ProbeRequest {
  image: string;
  command: string[];
  env?: Record<string, string>;
  /** Blobs to place under /in, read-only to the tool. */
  files: { sha256: string; path: string }[];
  limits: ContainerSpec['limits'];
}

export interface ProbeResult {
  result: RunResult;
  /** stdout and stderr, interleaved, at most 64 KiB. */
  log: string;
  ms: number;
}

/** A blob the probe needs is no longer in the store. */
export class ProbeInputMissing extends Error {
  constructor(readonly sha256: string) {
    super(`blob ${sha256} is gone from the store`);
  }
}

/**
 * Runs a tool over customer files in the same sandbox a provider uses (no network, no capabilities,
 * read-only root, uid 10001, memory and time limits) on the coordinator's Docker host: how scenes
 * and models are opened before anything is queued. At most `concurrency` probes run at once.
 */
export class SandboxProbe {
  private readonly runner: DockerRunner;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly store: BlobStore,
    role: string,
    private readonly concurrency = 2,
  ) {
    this.runner = new DockerRunner(new Docker(), { labels: { 'tessera.role': role }, outputWatchMs: 0 });
  }

  async run(request: ProbeRequest): Promise<ProbeResult> {
    await this.acquire();
    const dir = await mkdtemp(join(tmpdir(), 'tessera-probe-'));
    const inputDir = join(dir, 'in');
    const outputDir = join(dir, 'out');
    let log = '';
    try {
      await mkdir(inputDir);
      await mkdir(outputDir);
      for (const file of request.files) {
        const source = await this.store.read(file.sha256);
        if (!source) throw new ProbeInputMissing(file.sha256);
        const target = join(inputDir, file.path);
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        await pipeline(source, createWriteStream(target));
        // The sandbox user (uid 10001) must be able to read it.
        await chmod(target, 0o644);
      }
      await chmod(dir, 0o755);
      await chmod(inputDir, 0o755);
      const started = Date.now();
      const result = await this.runner.run({
        spec: {
          image: request.image,
          command: request.command,
          env: { HOME: '/tmp', ...request.env },
          inputs: [],
          limits: request.limits,
          gpus: 0,
        },
        name: `tessera-probe-${randomUUID()}`,
        inputDir,
        outputDir,
        gpuAvailable: false,
        onLog: (_stream, text) => {
          if (log.length < MAX_LOG) log += text;
        },
      });
      return { result, log, ms: Date.now() - started };
    } finally {
      await rm(dir, { recursive: true, force: true });
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}

/** The JSON after `marker` on the first line of `log` that starts with it, if any. */
export function markedJson(log: string, marker: string): unknown {
  const line = log.split('\n').find((l) => l.startsWith(marker));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(marker.length));
  } catch {
    return undefined;
  }
}
