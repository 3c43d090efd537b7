import { isAbsolute } from 'node:path';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { ContainerSpec, CONTAINER_INPUT_DIR, CONTAINER_OUTPUT_DIR } from '@tessera/protocol';
import type { RunRequest } from './container-runtime';
import { RunnerError } from './runner-error';

/** The uid and gid every task runs as, whatever the image's USER says. */
export const SANDBOX_UID = 10001;
export const SANDBOX_GID = 10001;
/** Label on every container the agent creates; `removeStale()` finds leftovers by it. */
export const MANAGED_LABEL = 'tessera.managed';
/** Working directory of the task: the tmpfs, the only writable place besides /out. */
export const SANDBOX_WORKDIR = '/tmp';
/** Open files per process inside the container (soft = hard, so the task cannot raise it). */
export const SANDBOX_NOFILE = 4096;
/** Docker refuses memory limits below 6 MiB; we refuse them before Docker does, with a clearer message. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** What the sandbox needs from a run request, plus the host's CPU count. */
export type SandboxRequest = Pick<
  RunRequest,
  'spec' | 'name' | 'inputDir' | 'outputDir' | 'gpuAvailable' | 'labels'
> & {
  /** CPUs the Docker host has; a CPU request above it is clamped (Docker would refuse it). */
  hostCpus?: number;
};

/**
 * Builds the `docker create` options for a task. Guarantees, whatever the spec asks for: no network
 * (only loopback), every capability dropped, no-new-privileges, uid 10001, read-only root
 * filesystem, a size-limited noexec /tmp, inputs read-only, outputs only in /out, memory without
 * swap, CPU, PID, open-file and core-dump limits, and GPUs only when both requested and available.
 * Throws `RunnerError('SANDBOX_REFUSED')` when a limit would mean "unlimited" to Docker (0) or the
 * spec asks for GPUs this host does not have. Pure: no Docker calls, so it is unit-tested directly.
 */
export function buildContainerOptions(req: SandboxRequest): ContainerCreateOptions {
  const { spec } = req;
  checkLimits(spec);
  for (const [what, dir] of [
    ['input', req.inputDir],
    ['output', req.outputDir],
  ]) {
    if (!isAbsolute(dir))
      throw new RunnerError('AGENT_ERROR', `the ${what} directory must be absolute: ${dir}`);
  }
  if (spec.gpus > 0 && !req.gpuAvailable) {
    throw new RunnerError(
      'SANDBOX_REFUSED',
      `the task asks for ${spec.gpus} GPU(s) but this agent has no usable NVIDIA GPU ` +
        '(check `tessera-agent doctor`: it needs nvidia-smi and the NVIDIA container toolkit)',
    );
  }

  const cpus = req.hostCpus ? Math.min(spec.limits.cpus, req.hostCpus) : spec.limits.cpus;
  const hostConfig: HostConfig = {
    NetworkMode: 'none',
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Privileged: false,
    IpcMode: 'private',
    // tini as PID 1: forwards SIGTERM to the task (a bare PID 1 ignores signals it has no handler
    // for, which would turn every cancel into a full grace period) and reaps orphans.
    Init: true,
    Tmpfs: { [SANDBOX_WORKDIR]: `rw,noexec,nosuid,nodev,size=${spec.limits.tmpBytes}` },
    // Mounts (unlike Binds) fail when the source is missing instead of creating it as root.
    Mounts: [
      { Type: 'bind', Source: req.inputDir, Target: CONTAINER_INPUT_DIR, ReadOnly: true },
      { Type: 'bind', Source: req.outputDir, Target: CONTAINER_OUTPUT_DIR, ReadOnly: false },
    ],
    Memory: spec.limits.memoryBytes,
    // Equal to Memory: no swap at all, so the OOM killer rather than the disk enforces the limit.
    MemorySwap: spec.limits.memoryBytes,
    NanoCpus: Math.max(1, Math.round(cpus * 1e9)),
    PidsLimit: spec.limits.pids,
    Ulimits: [
      { Name: 'nofile', Soft: SANDBOX_NOFILE, Hard: SANDBOX_NOFILE },
      { Name: 'core', Soft: 0, Hard: 0 },
    ],
    // Under host memory pressure the kernel should kill a task before the agent or the desktop.
    OomScoreAdj: 500,
    RestartPolicy: { Name: 'no' },
    // The agent reads logs from the attach stream; the daemon's copy is capped so a chatty task
    // cannot fill the host's disk through /var/lib/docker.
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
    AutoRemove: false, // we inspect the exited container (exit code, OOMKilled) before removing it
  };
  if (spec.gpus > 0) {
    hostConfig.DeviceRequests = [{ Driver: 'nvidia', Count: spec.gpus, Capabilities: [['gpu']] }];
  }

  return {
    name: req.name,
    Image: spec.image,
    // The image's ENTRYPOINT is kept, as with `docker run IMAGE COMMAND...`.
    Cmd: spec.command,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    User: `${SANDBOX_UID}:${SANDBOX_GID}`,
    WorkingDir: SANDBOX_WORKDIR,
    Labels: { ...req.labels, [MANAGED_LABEL]: 'true' },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false, // keeps stdout and stderr apart (multiplexed frames)
    HostConfig: hostConfig,
  };
}

/** Docker reads 0 as "no limit" for memory, CPUs, PIDs and tmpfs size; a task never gets that. */
function checkLimits(spec: ContainerSpec): void {
  const { limits } = spec;
  const problems: string[] = [];
  if (!(limits.memoryBytes >= MIN_MEMORY_BYTES)) {
    problems.push(`memoryBytes ${limits.memoryBytes} is below Docker's minimum of ${MIN_MEMORY_BYTES}`);
  }
  if (!(limits.cpus > 0)) problems.push(`cpus ${limits.cpus} must be positive`);
  if (!(limits.pids > 0)) problems.push(`pids ${limits.pids} must be positive`);
  if (!(limits.tmpBytes > 0)) problems.push(`tmpBytes ${limits.tmpBytes} must be positive`);
  if (!(limits.timeoutSec > 0)) problems.push(`timeoutSec ${limits.timeoutSec} must be positive`);
  if (problems.length > 0) {
    throw new RunnerError('SANDBOX_REFUSED', `the container limits are unsafe: ${problems.join('; ')}`);
  }
}
