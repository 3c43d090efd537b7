import type Docker from 'dockerode';
import { GpuQuery, queryNvidiaGpus } from '../capabilities/nvidia-smi';
import { freeDiskBytes } from '../capabilities/probe';
import { DockerRunner } from '@tessera/sandbox';
import {
  checkClock,
  checkDisk,
  checkDockerReachable,
  checkDockerVersion,
  checkGpu,
  checkKeypair,
  checkSandbox,
  DoctorCheck,
  fetchHttpDate,
  findImage,
  GIB,
  HttpDateFetcher,
  KeypairFs,
  nodeKeypairFs,
  SandboxRunner,
  warn,
} from './checks';

export type { CheckStatus, DoctorCheck } from './checks';

export interface DoctorReport {
  checks: DoctorCheck[];
  /** True when no check failed (warnings allowed): the agent can start. */
  ok: boolean;
}

export interface DoctorOptions {
  docker: Docker;
  keypairPath: string;
  workDir: string;
  /** When given, the clock is compared with this coordinator's HTTP Date header. */
  coordinatorUrl?: string;
  /** Images the sandbox test may run, in order of preference; default the toolbox, then the base. */
  sandboxImages?: string[];
  /** Free disk below this warns; default 10 GiB. */
  diskWarnBytes?: number;
  /** Free disk below this fails; default 1 GiB. */
  diskFailBytes?: number;
  /** Replaceable boundaries, for tests. */
  deps?: Partial<DoctorDeps>;
}

export interface DoctorDeps {
  runner: SandboxRunner;
  queryGpus: () => Promise<GpuQuery>;
  freeDiskBytes: (dir: string) => Promise<number>;
  keypairFs: KeypairFs;
  fetchDate: HttpDateFetcher;
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_SANDBOX_IMAGES = ['tessera/toolbox:1', 'debian:bookworm-slim'];

/**
 * Pre-flight checks for a GPU owner, in the order a person would fix them: Docker, the sandbox, the
 * GPU, disk, identity, clock. Never throws: every problem becomes a `fail` or `warn` line with the
 * exact fix. Checks that need Docker are reported as not checked when Docker is unreachable, so the
 * owner fixes the cause first instead of reading five consequences.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const deps: DoctorDeps = {
    runner: opts.deps?.runner ?? new DockerRunner(opts.docker),
    queryGpus: opts.deps?.queryGpus ?? (() => queryNvidiaGpus()),
    freeDiskBytes: opts.deps?.freeDiskBytes ?? freeDiskBytes,
    keypairFs: opts.deps?.keypairFs ?? nodeKeypairFs,
    fetchDate: opts.deps?.fetchDate ?? fetchHttpDate,
    env: opts.deps?.env ?? process.env,
  };
  const images = opts.sandboxImages ?? DEFAULT_SANDBOX_IMAGES;
  const checks: DoctorCheck[] = [];

  const reachable = await checkDockerReachable(opts.docker, deps.env);
  checks.push(reachable.check);
  const gpus = await deps.queryGpus();
  if (reachable.version) {
    checks.push(checkDockerVersion(reachable.version));
    const image = await findImage(opts.docker, images);
    checks.push(await checkSandbox(deps.runner, image, images[0], opts.workDir));
    checks.push(await checkGpu(gpus, deps.runner, image, opts.workDir));
  } else {
    const notChecked = (name: string) =>
      warn(
        name,
        'not checked: Docker is not reachable',
        'fix "Docker reachable" first, then run the doctor again',
      );
    checks.push(notChecked('Docker version'), notChecked('sandbox container'));
    checks.push(
      gpus.found && gpus.gpus.length > 0
        ? notChecked('GPU')
        : await checkGpu(gpus, deps.runner, undefined, opts.workDir),
    );
  }
  checks.push(
    await checkDisk(deps.freeDiskBytes, opts.workDir, {
      warnBytes: opts.diskWarnBytes ?? 10 * GIB,
      failBytes: opts.diskFailBytes ?? GIB,
    }),
  );
  checks.push(await checkKeypair(opts.keypairPath, deps.keypairFs));
  if (opts.coordinatorUrl) checks.push(await checkClock(opts.coordinatorUrl, deps.fetchDate));

  return { checks, ok: checks.every((c) => c.status !== 'fail') };
}

const SYMBOLS = { ok: '✔', warn: '!', fail: '✘' } as const;

/**
 * The report as a table for a terminal: one line per check (symbol, name, detail), the fix indented
 * below every warning and failure, and a summary line.
 */
export function formatDoctorReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.flatMap((check) => {
    const line = `${SYMBOLS[check.status]} ${check.name.padEnd(width)}  ${check.detail}`;
    return check.fix && check.status !== 'ok' ? [line, `  ${' '.repeat(width)}  fix: ${check.fix}`] : [line];
  });
  const count = (status: DoctorCheck['status']) => report.checks.filter((c) => c.status === status).length;
  const failures = count('fail');
  const warnings = count('warn');
  const summary = failures
    ? `${failures} check(s) failed: fix them and run \`tessera-agent doctor\` again`
    : warnings
      ? `ready, with ${warnings} warning(s)`
      : 'ready: start the agent with `tessera-agent start`';
  return [...lines, '', summary].join('\n');
}
