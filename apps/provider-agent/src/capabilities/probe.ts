import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import type Docker from 'dockerode';
import { Capabilities, CapabilitiesSchema } from '@tessera/protocol';
import { CommandRunner, execCommand, queryNvidiaGpus } from './nvidia-smi';

export interface ProbeOptions {
  docker: Docker;
  /** Workload kinds this agent accepts. */
  kinds: string[];
  /** Tasks the agent runs at once. */
  slots: number;
  /** Where task inputs and outputs go; its filesystem's free space is reported. */
  workDir: string;
  /** Runs nvidia-smi; replaced in tests. */
  runCommand?: CommandRunner;
}

/**
 * What this host offers, as the agent announces it to the coordinator. CPU count, memory, OS and
 * architecture come from the Docker engine (that is where containers run, and its architecture
 * names, e.g. `amd64`, are the ones images use), falling back to this process's view; the CPU
 * model comes from the OS. GPUs come from nvidia-smi (none when it is absent or fails). The result
 * always satisfies `CapabilitiesSchema`; it throws only when Docker cannot be reached.
 */
export async function probeCapabilities(opts: ProbeOptions): Promise<Capabilities> {
  const [version, info, images, gpus, diskFreeBytes] = await Promise.all([
    opts.docker.version(),
    opts.docker.info() as Promise<{ NCPU?: number; MemTotal?: number }>,
    opts.docker.listImages(),
    queryNvidiaGpus(opts.runCommand ?? execCommand),
    freeDiskBytes(opts.workDir),
  ]);
  const cpus = os.cpus();
  const tags = imageTags(images);
  const capabilities: Capabilities = {
    kinds: runnableKinds(opts.kinds, tags),
    slots: opts.slots,
    cpu: {
      cores: Math.min(4096, Math.max(1, info.NCPU ?? os.availableParallelism())),
      model: (cpus[0]?.model.trim() || 'unknown').slice(0, 200),
    },
    memoryBytes: info.MemTotal ?? os.totalmem(),
    diskFreeBytes,
    gpus: gpus.gpus,
    docker: { version: version.Version.slice(0, 50), apiVersion: version.ApiVersion.slice(0, 20) },
    images: tags,
    os: (version.Os || os.platform()).slice(0, 50),
    arch: (version.Arch || os.arch()).slice(0, 50),
  };
  return CapabilitiesSchema.parse(capabilities);
}

/**
 * The kinds worth offering: a kind whose worker image is not on the host would only fail its
 * tasks (images are not pulled by default), so it is left out until the image is built.
 */
export function runnableKinds(kinds: readonly string[], images: readonly string[]): string[] {
  return kinds.filter((kind) => {
    const prefix = KIND_IMAGE_PREFIX[kind];
    return prefix === undefined || images.some((image) => image.startsWith(prefix));
  });
}

/** Worker images each kind needs (kinds not listed run any allow-listed image). */
const KIND_IMAGE_PREFIX: Record<string, string> = { render: 'tessera/blender:', inference: 'tessera/onnx:' };

/** Every tag of every local image (`<none>` dropped), sorted, capped at the protocol's 1,000. */
export function imageTags(images: { RepoTags?: string[] | null }[]): string[] {
  const tags = new Set<string>();
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      if (!tag.startsWith('<none>') && tag.length <= 300) tags.add(tag);
    }
  }
  return [...tags].sort().slice(0, 1000);
}

/**
 * Free bytes (for an unprivileged user) on the filesystem holding `dir`. A work directory that does
 * not exist yet is measured at its nearest existing parent, which is where it will be created.
 */
export async function freeDiskBytes(dir: string): Promise<number> {
  let path = resolve(dir);
  for (;;) {
    try {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const parent = dirname(path);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) throw error;
      path = parent;
    }
  }
}
