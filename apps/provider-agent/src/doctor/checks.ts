import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { Ed25519Keypair } from '@tessera/crypto';
import { ContainerSpec } from '@tessera/protocol';
import { GpuQuery } from '../capabilities/nvidia-smi';
import { formatBytes } from '@tessera/sandbox';
import { DockerRunner } from '@tessera/sandbox';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of the doctor's report. Every `fail` and `warn` says in `fix` what to do about it. */
export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** The part of DockerRunner the sandbox checks need; faked in tests. */
export type SandboxRunner = Pick<DockerRunner, 'run'>;

/** Docker API 1.41 is Docker 20.10: DeviceRequests, `wait` conditions, cgroup v2 support. */
export const MIN_DOCKER_API = '1.41';
export const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const BUILD_IMAGES = 'docker/build-images.sh';

export function ok(name: string, detail: string): DoctorCheck {
  return { name, status: 'ok', detail };
}
export function warn(name: string, detail: string, fix: string): DoctorCheck {
  return { name, status: 'warn', detail, fix };
}
export function fail(name: string, detail: string, fix: string): DoctorCheck {
  return { name, status: 'fail', detail, fix };
}

// Docker ---------------------------------------------------------------------------------------------

export interface DockerVersion {
  Version: string;
  ApiVersion: string;
}

/**
 * Whether the engine answers. The fix depends on how it failed: no socket means no daemon, EACCES
 * means the user is not in the docker group, anything else is usually a wrong DOCKER_HOST.
 */
export async function checkDockerReachable(
  docker: Pick<Docker, 'version'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ check: DoctorCheck; version?: DockerVersion }> {
  const name = 'Docker reachable';
  const where = env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'unix:///var/run/docker.sock';
  try {
    const version = (await docker.version()) as DockerVersion;
    return { check: ok(name, `the engine answers at ${where}`), version };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'EACCES') {
      return {
        check: fail(
          name,
          `permission denied on ${where}`,
          'add this user to the docker group: `sudo usermod -aG docker $USER`, then log out and in again (or run the agent as root)',
        ),
      };
    }
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return {
        check: fail(
          name,
          `no Docker daemon at ${where} (${code})`,
          env.DOCKER_HOST
            ? `start the daemon DOCKER_HOST points at, or unset DOCKER_HOST to use the local one`
            : 'install Docker (`sudo apt-get install docker.io`) and start it: `sudo systemctl enable --now docker` (or run `dockerd`)',
        ),
      };
    }
    return {
      check: fail(
        name,
        `cannot talk to Docker at ${where}: ${message}`,
        'check that dockerd is running and that DOCKER_HOST (if set) points at it',
      ),
    };
  }
}

/** Docker 20.10 or newer, i.e. API 1.41 or newer. */
export function checkDockerVersion(version: DockerVersion): DoctorCheck {
  const name = 'Docker version';
  const detail = `Docker ${version.Version}, API ${version.ApiVersion}`;
  if (compareVersions(version.ApiVersion, MIN_DOCKER_API) < 0) {
    return fail(
      name,
      `${detail}: API ${MIN_DOCKER_API} (Docker 20.10) or newer is needed for GPU requests and sandbox limits`,
      'upgrade Docker to 20.10 or newer (Debian 12: `sudo apt-get install docker.io`; others: https://docs.docker.com/engine/install/)',
    );
  }
  return ok(name, detail);
}

// Sandbox --------------------------------------------------------------------------------------------

/** The first of `images` present on the host, or undefined. */
export async function findImage(
  docker: Pick<Docker, 'getImage'>,
  images: string[],
): Promise<string | undefined> {
  for (const image of images) {
    const present = await docker
      .getImage(image)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (present) return image;
  }
  return undefined;
}

/**
 * Starts a container under exactly the sandbox tasks get (no network, read-only root, uid 10001, all
 * limits) and checks that it runs as uid 10001. This catches engines that cannot apply the sandbox
 * (rootless setups without cgroup delegation, missing docker-init, a work dir Docker cannot mount).
 */
export async function checkSandbox(
  runner: SandboxRunner,
  image: string | undefined,
  wantedImage: string,
  workDir: string,
): Promise<DoctorCheck> {
  const name = 'sandbox container';
  if (!image) {
    return fail(
      name,
      `image ${wantedImage} is missing`,
      `build it: run \`${BUILD_IMAGES}\` from the Tessera checkout (it also creates the base debian:bookworm-slim)`,
    );
  }
  const result = await runProbe(runner, workDir, image, ['sh', '-c', 'id -u'], 0);
  if ('error' in result) {
    return fail(
      name,
      `a sandboxed container in ${image} did not run: ${result.error}`,
      `reproduce it with \`docker run --rm --init --network none --read-only --cap-drop ALL --user 10001:10001 ${image} true\`; ` +
        `check that the work dir ${workDir} is on a local disk Docker can bind-mount`,
    );
  }
  if (result.exitCode !== 0 || result.stdout.trim() !== '10001') {
    return fail(
      name,
      `the sandboxed container in ${image} exited ${result.exitCode} (${result.outcome}) printing ${JSON.stringify(result.stdout.trim())}, not uid 10001`,
      'check for a daemon-wide user-namespace or runtime setting in /etc/docker/daemon.json that overrides the container user',
    );
  }
  return ok(name, `${image} ran as uid 10001 with no network, a read-only root and limits (${result.ms} ms)`);
}

// GPU ------------------------------------------------------------------------------------------------

/**
 * GPUs seen by the host and, when there are any, from inside a sandboxed container through a
 * DeviceRequest: the NVIDIA container toolkit is what makes the second work.
 */
export async function checkGpu(
  gpus: GpuQuery,
  runner: SandboxRunner,
  image: string | undefined,
  workDir: string,
): Promise<DoctorCheck> {
  const name = 'GPU';
  if (!gpus.found) {
    return warn(
      name,
      'no NVIDIA GPU found: this agent will take CPU work only',
      'to sell GPU time, install the NVIDIA driver so that `nvidia-smi` works, then the NVIDIA container toolkit',
    );
  }
  if (gpus.error || gpus.gpus.length === 0) {
    return fail(
      name,
      `nvidia-smi is installed but lists no GPU: ${gpus.error ?? 'empty output'}`,
      'make sure the NVIDIA driver is loaded (`nvidia-smi` must list the GPU; reboot after installing or upgrading the driver)',
    );
  }
  const listed = gpus.gpus.map((g) => `${g.index}: ${g.name} ${formatBytes(g.vramBytes)}`).join(', ');
  if (!image) {
    return fail(
      name,
      `${listed}; not checked inside a container (no sandbox image)`,
      `build the images with \`${BUILD_IMAGES}\`, then run the doctor again`,
    );
  }
  // The toolkit mounts nvidia-smi into the container for the `utility` capability; /dev/nvidiaN
  // appearing is enough evidence when it does not.
  const script = 'nvidia-smi -L 2>/dev/null || ls /dev/nvidia[0-9]*';
  const result = await runProbe(runner, workDir, image, ['sh', '-c', script], gpus.gpus.length);
  const toolkitFix =
    'install the NVIDIA container toolkit (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), ' +
    'run `sudo nvidia-ctk runtime configure --runtime=docker`, then restart dockerd (`sudo systemctl restart docker`)';
  if ('error' in result) {
    return fail(name, `${listed}; but a container cannot get a GPU: ${result.error}`, toolkitFix);
  }
  if (result.exitCode !== 0 || !/GPU \d+:|\/dev\/nvidia\d/.test(result.stdout)) {
    return fail(
      name,
      `${listed}; but no GPU is visible inside a container (exit ${result.exitCode})`,
      toolkitFix,
    );
  }
  return ok(name, `${listed}; visible inside a sandboxed container`);
}

// Disk -----------------------------------------------------------------------------------------------

export interface DiskThresholds {
  warnBytes: number;
  failBytes: number;
}

/** Free space where task inputs and outputs go: below `warnBytes` warn, below `failBytes` fail. */
export async function checkDisk(
  freeDiskBytes: (dir: string) => Promise<number>,
  workDir: string,
  thresholds: DiskThresholds,
): Promise<DoctorCheck> {
  const name = 'free disk';
  let free: number;
  try {
    free = await freeDiskBytes(workDir);
  } catch (error) {
    return fail(
      name,
      `cannot measure ${workDir}: ${String(error)}`,
      'set --work-dir (TESSERA_AGENT_WORK_DIR) to a writable local directory',
    );
  }
  const detail = `${formatBytes(free)} free for ${workDir}`;
  const fix =
    `free space on that filesystem (\`docker system prune\` removes unused images), ` +
    'or point --work-dir (TESSERA_AGENT_WORK_DIR) at a larger disk';
  if (free < thresholds.failBytes)
    return fail(name, `${detail}, below the minimum of ${formatBytes(thresholds.failBytes)}`, fix);
  if (free < thresholds.warnBytes)
    return warn(name, `${detail}, below the recommended ${formatBytes(thresholds.warnBytes)}`, fix);
  return ok(name, detail);
}

// Identity -------------------------------------------------------------------------------------------

export interface KeypairFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  stat(path: string): Promise<{ mode: number }>;
}

export const nodeKeypairFs: KeypairFs = { readFile, stat };

/** The keypair file exists, is Solana's JSON array of 64 bytes, is consistent, and is private. */
export async function checkKeypair(path: string, fs: KeypairFs = nodeKeypairFs): Promise<DoctorCheck> {
  const name = 'keypair';
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      return fail(
        name,
        `no keypair at ${path}`,
        "run `tessera-agent init` to create this machine's identity",
      );
    return fail(
      name,
      `cannot read ${path}: ${code ?? String(error)}`,
      `make ${path} readable by the user running the agent`,
    );
  }
  const replaceFix =
    `restore ${path} from your backup, or run \`tessera-agent init --force\` for a new identity ` +
    '(a new address: earnings already paid to the old one stay with the old key)';
  let bytes: unknown;
  try {
    bytes = JSON.parse(text);
  } catch {
    return fail(
      name,
      `${path} is not JSON (expected a Solana keypair: a JSON array of 64 numbers)`,
      replaceFix,
    );
  }
  if (
    !Array.isArray(bytes) ||
    bytes.length !== 64 ||
    !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
  ) {
    return fail(
      name,
      `${path} is not a Solana keypair (expected a JSON array of 64 numbers from 0 to 255)`,
      replaceFix,
    );
  }
  let keypair: Ed25519Keypair;
  try {
    keypair = Ed25519Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
  } catch (error) {
    return fail(name, `${path}: ${error instanceof Error ? error.message : String(error)}`, replaceFix);
  }
  const mode = (await fs.stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return warn(
      name,
      `address ${keypair.address}; but ${path} is readable by other users (mode ${mode.toString(8)})`,
      `\`chmod 600 ${path}\`: whoever reads it can impersonate this provider and take its earnings`,
    );
  }
  return ok(name, `address ${keypair.address}`);
}

// Clock ----------------------------------------------------------------------------------------------

export type HttpDateFetcher = (url: string) => Promise<string | null>;

export const fetchHttpDate: HttpDateFetcher = async (url) => {
  const response = await fetch(url, {
    method: 'HEAD',
    signal: AbortSignal.timeout(5_000),
    redirect: 'manual',
  });
  return response.headers.get('date');
};

/**
 * Clock skew against the coordinator's HTTP `Date` header (1 s resolution, so the request's
 * round-trip time and a second of rounding are allowed for). Leases and challenges expire by time.
 */
export async function checkClock(
  coordinatorUrl: string,
  fetchDate: HttpDateFetcher = fetchHttpDate,
  now: () => number = Date.now,
  maxSkewMs = 5_000,
): Promise<DoctorCheck> {
  const name = 'clock';
  const sent = now();
  let header: string | null;
  try {
    header = await fetchDate(coordinatorUrl);
  } catch (error) {
    const reason =
      (error as { cause?: { code?: string } }).cause?.code ??
      (error instanceof Error ? error.message : String(error));
    return fail(
      name,
      `cannot reach the coordinator at ${coordinatorUrl} (${reason})`,
      'check the URL (--coordinator / TESSERA_COORDINATOR_URL), that the coordinator runs, and that no firewall blocks it',
    );
  }
  const received = now();
  // The header is truncated to whole seconds: the server's clock read, on average, half a second more.
  const serverMs = header ? Date.parse(header) + 500 : NaN;
  if (Number.isNaN(serverMs)) {
    return warn(
      name,
      `the coordinator at ${coordinatorUrl} sent no usable Date header`,
      'compare the clocks by hand; keep NTP on',
    );
  }
  // The server stamped its Date somewhere between `sent` and `received`; assume the middle.
  const skewMs = (sent + received) / 2 - serverMs;
  const slack = (received - sent) / 2 + 500;
  const detail = `this clock is ${Math.abs(skewMs / 1000).toFixed(1)} s ${skewMs >= 0 ? 'ahead of' : 'behind'} the coordinator`;
  if (Math.abs(skewMs) > maxSkewMs + slack) {
    return warn(
      name,
      detail,
      'enable time synchronisation: `sudo timedatectl set-ntp true` (or install chrony / systemd-timesyncd)',
    );
  }
  return ok(name, detail);
}

// Helpers --------------------------------------------------------------------------------------------

type ProbeResult = { exitCode: number; outcome: string; stdout: string; ms: number } | { error: string };

/** Runs a tiny command through the real runner, in scratch directories under the work dir. */
async function runProbe(
  runner: SandboxRunner,
  workDir: string,
  image: string,
  command: string[],
  gpus: number,
): Promise<ProbeResult> {
  let scratch: string | undefined;
  try {
    await mkdir(workDir, { recursive: true });
    scratch = await mkdtemp(join(workDir, 'doctor-'));
    await mkdir(join(scratch, 'in'), { mode: 0o755 });
    await mkdir(join(scratch, 'out'));
    const spec: ContainerSpec = {
      image,
      command,
      env: { NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' },
      inputs: [],
      limits: {
        cpus: 1,
        memoryBytes: 64 * MIB,
        pids: 64,
        timeoutSec: 60,
        tmpBytes: 16 * MIB,
        outputBytes: MIB,
        outputFiles: 10,
      },
      gpus,
    };
    let stdout = '';
    const started = Date.now();
    const result = await runner.run({
      spec,
      name: `tessera-doctor-${process.pid}-${Date.now()}`,
      inputDir: join(scratch, 'in'),
      outputDir: join(scratch, 'out'),
      gpuAvailable: gpus > 0,
      labels: { 'tessera.doctor': 'true' },
      onLog: (stream, text) => {
        if (stream === 'stdout') stdout += text;
      },
    });
    return { exitCode: result.exitCode, outcome: result.outcome, stdout, ms: Date.now() - started };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Compares dotted numeric versions: `1.41` < `1.9` is false, as Docker's API versions mean. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
