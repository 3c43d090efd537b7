/**
 * `docker run` of a task's container outside Tessera, in exactly the sandbox the agent builds: the
 * `docker create` options come from `buildContainerOptions` (libs/sandbox, what the agent's
 * DockerRunner uses) and are translated flag by flag into the docker CLI. An option this
 * translation does not know stops the bench, so the two cannot drift apart silently.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ContainerCreateOptions } from 'dockerode';

/** `docker run` arguments (after `run`) equivalent to `options`; `--rm` as `docker run --rm` does. */
export function dockerRunArgs(options: ContainerCreateOptions): string[] {
  const args: string[] = ['--rm'];
  const known = new Set([
    'name',
    'Image',
    'Cmd',
    'Env',
    'User',
    'WorkingDir',
    'Labels',
    'AttachStdin',
    'AttachStdout',
    'AttachStderr',
    'OpenStdin',
    'Tty',
    'HostConfig',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new Error(`dockerRunArgs: container option ${key} has no translation`);
  }
  if (options.Tty || options.OpenStdin || options.AttachStdin) {
    throw new Error('dockerRunArgs: a TTY or stdin is not part of the sandbox');
  }
  if (options.name) args.push('--name', options.name);
  if (options.User) args.push('--user', options.User);
  if (options.WorkingDir) args.push('--workdir', options.WorkingDir);
  for (const e of options.Env ?? []) args.push('--env', e);
  for (const [k, v] of Object.entries(options.Labels ?? {})) args.push('--label', `${k}=${v}`);

  const h = options.HostConfig ?? {};
  for (const [key, value] of Object.entries(h)) {
    if (value === undefined) continue;
    switch (key) {
      case 'NetworkMode':
        args.push('--network', String(value));
        break;
      case 'CapDrop':
        for (const c of value as string[]) args.push('--cap-drop', c);
        break;
      case 'CapAdd':
        for (const c of value as string[]) args.push('--cap-add', c);
        break;
      case 'SecurityOpt':
        for (const s of value as string[]) args.push('--security-opt', s);
        break;
      case 'ReadonlyRootfs':
        if (value) args.push('--read-only');
        break;
      case 'Privileged':
        if (value) args.push('--privileged');
        break;
      case 'IpcMode':
        args.push('--ipc', String(value));
        break;
      case 'Init':
        if (value) args.push('--init');
        break;
      case 'Tmpfs':
        for (const [path, opts] of Object.entries(value as Record<string, string>))
          args.push('--tmpfs', opts ? `${path}:${opts}` : path);
        break;
      case 'Mounts':
        for (const m of value as { Type: string; Source: string; Target: string; ReadOnly?: boolean }[]) {
          args.push(
            '--mount',
            `type=${m.Type},source=${m.Source},target=${m.Target}${m.ReadOnly ? ',readonly' : ''}`,
          );
        }
        break;
      case 'Memory':
        args.push('--memory', String(value));
        break;
      case 'MemorySwap':
        args.push('--memory-swap', String(value));
        break;
      case 'NanoCpus':
        args.push('--cpus', String((value as number) / 1e9));
        break;
      case 'PidsLimit':
        args.push('--pids-limit', String(value));
        break;
      case 'Ulimits':
        for (const u of value as { Name: string; Soft: number; Hard: number }[])
          args.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`);
        break;
      case 'OomScoreAdj':
        args.push('--oom-score-adj', String(value));
        break;
      case 'RestartPolicy':
        if ((value as { Name?: string }).Name && (value as { Name?: string }).Name !== 'no')
          throw new Error('dockerRunArgs: a restart policy is not part of a task run');
        break;
      case 'LogConfig': {
        const lc = value as { Type: string; Config?: Record<string, string> };
        args.push('--log-driver', lc.Type);
        for (const [k, v] of Object.entries(lc.Config ?? {})) args.push('--log-opt', `${k}=${v}`);
        break;
      }
      case 'AutoRemove':
        break; // --rm above: docker run removes the container when it exits
      default:
        throw new Error(`dockerRunArgs: HostConfig.${key} has no translation`);
    }
  }
  if (!options.Image) throw new Error('dockerRunArgs: no image');
  args.push(options.Image, ...((options.Cmd as string[] | undefined) ?? []));
  return args;
}

export interface TimedRun {
  /** From just before the process was spawned to its exit. */
  ms: number;
  exitCode: number | null;
  /** stdout lines with the time each arrived, ms after the spawn. */
  stdout: { atMs: number; line: string }[];
  /** The last 8 KiB of stderr. */
  stderrTail: string;
}

/** Runs `docker run ARGS` to the end, timing it and each line it prints. */
export async function timedDockerRun(args: string[]): Promise<TimedRun> {
  const stdout: { atMs: number; line: string }[] = [];
  let partial = '';
  let stderrTail = '';
  const started = performance.now();
  const child = spawn('docker', ['run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => {
    const at = performance.now() - started;
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) stdout.push({ atMs: at, line });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-8192);
  });
  const [exitCode, ms] = await new Promise<[number | null, number]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve([code, performance.now() - started]));
  });
  // The last lines can arrive just after the exit event.
  await new Promise<void>((resolve) =>
    child.stdout.closed ? resolve() : child.stdout.once('close', resolve),
  );
  if (partial) stdout.push({ atMs: ms, line: partial });
  return { ms, exitCode, stdout, stderrTail };
}
