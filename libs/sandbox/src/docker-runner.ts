import { chmod, chown } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import Docker from 'dockerode';
import type { OutputFile } from '@tessera/protocol';
import type { ContainerRuntime, RunOutcome, RunRequest, RunResult } from './container-runtime';
import { LogSink } from './log-sink';
import { checkOutputs, OutputLimits, outputsExceedLimits } from './outputs';
import { dockerMessage, dockerStatus, RunnerError } from './runner-error';
import { buildContainerOptions, MANAGED_LABEL, SANDBOX_GID, SANDBOX_UID } from './sandbox';

export interface DockerRunnerOptions {
  /** Labels put on every container and used by `removeStale` to tell this agent's containers apart. */
  labels?: Record<string, string>;
  /** How long `ensureImage` waits for a pull; default 10 minutes. */
  pullTimeoutMs?: number;
  /** How often a running task's /out is measured against its output limits; 0 turns it off. Default 2 s. */
  outputWatchMs?: number;
  /** How long to wait for the last log frames after the container exited; default 2 s. */
  logDrainMs?: number;
}

export type { ContainerRuntime, RunOutcome, RunRequest, RunResult };

const DEFAULT_STOP_GRACE_MS = 10_000;

/**
 * Runs tasks in sandboxed Docker containers (see sandbox.ts for what every container is denied).
 * Guarantees of `run`: logs are attached before the container starts, so no output is lost; the
 * exit is awaited with a wait registered before start, so a task that exits at once is not missed;
 * the wall-clock limit, cancellation and output limits are enforced by killing the container; and
 * the container is force-removed before `run` settles, whether it succeeded, failed, timed out,
 * was cancelled or threw.
 */
export class DockerRunner implements ContainerRuntime {
  private readonly labels: Record<string, string>;
  private readonly pullTimeoutMs: number;
  private readonly outputWatchMs: number;
  private readonly logDrainMs: number;
  private hostCpus?: Promise<number | undefined>;

  /**
   * @param docker an engine client. The default pins no API version: unversioned paths get the
   *   daemon's own version, which works on Docker 20.10 (at most 1.41) and on Docker 29+ (which
   *   refuses anything below 1.44).
   */
  constructor(
    readonly docker: Docker = new Docker(),
    options: DockerRunnerOptions = {},
  ) {
    this.labels = options.labels ?? {};
    this.pullTimeoutMs = options.pullTimeoutMs ?? 10 * 60_000;
    this.outputWatchMs = options.outputWatchMs ?? 2_000;
    this.logDrainMs = options.logDrainMs ?? 2_000;
  }

  /**
   * Makes sure `ref` is on the host: nothing to do when present, otherwise a pull bounded by
   * `timeoutMs`. Throws `RunnerError('IMAGE_UNAVAILABLE')` saying how to get the image. Pass
   * `pull: false` where a registry must not be trusted for this name.
   */
  async ensureImage(ref: string, options: { pull?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (await this.hasImage(ref)) return;
    const howTo = ref.startsWith('tessera/')
      ? 'build it with docker/build-images.sh'
      : `pull it with \`docker pull ${ref}\` or build it locally`;
    if (options.pull === false) {
      throw new RunnerError('IMAGE_UNAVAILABLE', `image ${ref} is not on this host; ${howTo}`);
    }
    try {
      await this.pull(ref, options.timeoutMs ?? this.pullTimeoutMs);
    } catch (err) {
      throw new RunnerError(
        'IMAGE_UNAVAILABLE',
        `image ${ref} is not on this host and could not be pulled (${dockerMessage(err)}); ${howTo}`,
        { cause: err },
      );
    }
    if (!(await this.hasImage(ref))) {
      throw new RunnerError('IMAGE_UNAVAILABLE', `image ${ref} was pulled but is still missing; ${howTo}`);
    }
  }

  /** Runs one task to the end; see the class comment for the guarantees. */
  async run(req: RunRequest): Promise<RunResult> {
    const createOptions = buildContainerOptions({
      ...req,
      // The runner's own labels win: removeStale finds containers by them.
      labels: { ...req.labels, ...this.labels },
      hostCpus: await this.cpuCount(),
    });
    await prepareOutputDir(req.outputDir);
    if (req.signal?.aborted) return cancelledBeforeStart();

    const container = await this.create(createOptions);
    const waitAbort = new AbortController();
    const sinks = { stdout: new LogSink('stdout', req.onLog), stderr: new LogSink('stderr', req.onLog) };
    let attach: IncomingMessage | undefined;
    const timers: NodeJS.Timeout[] = [];
    let onAbort: (() => void) | undefined;
    try {
      attach = (await container.attach({
        stream: true,
        stdout: true,
        stderr: true,
      })) as unknown as IncomingMessage;
      const logsDone = this.pipeLogs(attach, sinks);
      const { exited } = await this.waitForNextExit(container.id, waitAbort.signal);
      if (req.signal?.aborted) return cancelledBeforeStart();

      let reason: 'timeout' | 'cancelled' | undefined;
      let limitExceeded: RunResult['limitExceeded'];
      const kill = (signal: 'SIGTERM' | 'SIGKILL') => void killQuietly(container, signal);
      const startedAt = new Date();
      await container.start();

      timers.push(
        setTimeout(() => {
          reason ??= 'timeout';
          kill('SIGKILL');
        }, req.spec.limits.timeoutSec * 1000),
      );
      onAbort = () => {
        if (reason) return;
        reason = 'cancelled';
        kill('SIGTERM');
        timers.push(setTimeout(() => kill('SIGKILL'), req.stopGraceMs ?? DEFAULT_STOP_GRACE_MS));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (req.signal?.aborted) onAbort();
      if (this.outputWatchMs > 0) {
        timers.push(
          this.watchOutputs(req.outputDir, req.spec.limits, () => {
            limitExceeded = 'outputs';
            kill('SIGKILL');
          }),
        );
      }

      const exitCode = await exited;
      const finishedAt = new Date();
      timers.forEach(clearTimeout);
      await Promise.race([logsDone, delay(this.logDrainMs)]);
      const state = (await container.inspect()).State;
      const outcome: RunOutcome = reason ?? (state.OOMKilled ? 'oom' : 'exited');
      return { exitCode, outcome, ...(limitExceeded && { limitExceeded }), startedAt, finishedAt };
    } catch (err) {
      if (err instanceof RunnerError) throw err;
      throw new RunnerError('AGENT_ERROR', `the container runtime failed: ${dockerMessage(err)}`, {
        cause: err,
      });
    } finally {
      timers.forEach(clearTimeout);
      if (onAbort) req.signal?.removeEventListener('abort', onAbort);
      waitAbort.abort();
      attach?.destroy();
      sinks.stdout.end();
      sinks.stderr.end();
      await this.remove(container);
    }
  }

  /** See `checkOutputs` in outputs.ts. */
  checkOutputs(outputDir: string, limits: OutputLimits): Promise<OutputFile[]> {
    return checkOutputs(outputDir, limits);
  }

  /**
   * Force-removes every container carrying `tessera.managed=true` and this runner's labels: what a
   * crashed agent left behind. Call it once at start-up, before taking work. Returns the names removed.
   */
  async removeStale(): Promise<string[]> {
    const filters = [`${MANAGED_LABEL}=true`, ...Object.entries(this.labels).map(([k, v]) => `${k}=${v}`)];
    const stale = await this.docker.listContainers({ all: true, filters: { label: filters } });
    const removed: string[] = [];
    for (const info of stale) {
      await this.remove(this.docker.getContainer(info.Id));
      removed.push(info.Names[0]?.replace(/^\//, '') ?? info.Id);
    }
    return removed;
  }

  private async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (dockerStatus(err) === 404) return false;
      throw new RunnerError('AGENT_ERROR', `cannot inspect image ${ref}: ${dockerMessage(err)}`, {
        cause: err,
      });
    }
  }

  private async pull(ref: string, timeoutMs: number): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const stream = (await this.docker.pull(ref, { abortSignal: deadline })) as IncomingMessage;
    await new Promise<void>((resolve, reject) => {
      // The signal only covers the request; a pull that stalls mid-stream is cut off here.
      const onTimeout = () => {
        stream.destroy();
        reject(new Error(`the pull did not finish within ${timeoutMs / 1000} s`));
      };
      deadline.addEventListener('abort', onTimeout, { once: true });
      // Pull errors (unknown image, no registry) arrive as progress events, not as an HTTP status.
      this.docker.modem.followProgress(stream, (err) => {
        deadline.removeEventListener('abort', onTimeout);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  private cpuCount(): Promise<number | undefined> {
    this.hostCpus ??= this.docker.info().then(
      (info: { NCPU?: number }) => info.NCPU,
      () => undefined,
    );
    return this.hostCpus;
  }

  private async create(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      const status = dockerStatus(err);
      if (status === 404) {
        throw new RunnerError(
          'IMAGE_UNAVAILABLE',
          `image ${options.Image} is not on this host (${dockerMessage(err)})`,
          { cause: err },
        );
      }
      if (status === 409 && options.name) {
        // A container of the same name survived a crash of this agent: only ours may be replaced.
        const old = this.docker.getContainer(options.name);
        const info = await old.inspect().catch(() => undefined);
        if (info?.Config.Labels?.[MANAGED_LABEL] === 'true') {
          await this.remove(old);
          return this.docker.createContainer(options);
        }
      }
      throw new RunnerError('AGENT_ERROR', `cannot create the container: ${dockerMessage(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Registers a wait for the container's next exit and resolves once the daemon has registered it
   * (Docker flushes the response headers at that moment), so starting the container afterwards
   * cannot race with the wait. `exited` resolves to the exit status. (It is wrapped in an object
   * because resolving with a bare promise would adopt it and wait for the exit itself.) dockerode's
   * `wait()` only resolves at the end of the body, which gives no such point to start at.
   */
  private waitForNextExit(id: string, abortSignal: AbortSignal): Promise<{ exited: Promise<number> }> {
    return new Promise((registered, failed) => {
      this.docker.modem.dial(
        {
          path: `/containers/${id}/wait?`,
          method: 'POST',
          options: { condition: 'next-exit' },
          isStream: true,
          abortSignal,
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        },
        (err, res) => {
          if (err) return failed(err);
          const exited = readJson(res as IncomingMessage).then(parseWaitResponse);
          // Aborted in `run`'s cleanup when nobody awaits it any more: not an unhandled rejection.
          exited.catch(() => undefined);
          registered({ exited });
        },
      );
    });
  }

  private pipeLogs(attach: IncomingMessage, sinks: { stdout: LogSink; stderr: LogSink }): Promise<void> {
    this.docker.modem.demuxStream(attach, sinks.stdout, sinks.stderr);
    return new Promise((resolve) => {
      attach.once('end', resolve);
      attach.once('close', resolve);
      attach.once('error', () => resolve());
    });
  }

  /** Polls /out while the task runs; calls `onExceeded` once when it outgrows its limits. */
  private watchOutputs(outputDir: string, limits: OutputLimits, onExceeded: () => void): NodeJS.Timeout {
    let busy = false;
    let fired = false;
    const timer = setInterval(() => {
      if (busy || fired) return;
      busy = true;
      outputsExceedLimits(outputDir, limits)
        .then((reason) => {
          if (reason && !fired) {
            fired = true;
            onExceeded();
          }
        })
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, this.outputWatchMs);
    return timer;
  }

  /** Force-removes a container, tolerating "already gone" and retrying transient daemon errors. */
  private async remove(container: Docker.Container): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await container.remove({ force: true, v: true });
        return;
      } catch (err) {
        const status = dockerStatus(err);
        if (status === 404) return;
        // 409: a removal is already in progress (a concurrent removeStale): wait for it to finish.
        if (attempt >= 5) {
          throw new RunnerError(
            'AGENT_ERROR',
            `cannot remove container ${container.id}: ${dockerMessage(err)}`,
            { cause: err },
          );
        }
        await delay(200 * attempt);
      }
    }
  }
}

/**
 * Makes the output directory writable by the sandbox user. As root the agent hands it to uid 10001;
 * an agent running unprivileged (in the docker group) cannot chown, so it opens the directory to
 * everyone instead: it is the task's own empty directory, readable by no other task.
 */
async function prepareOutputDir(outputDir: string): Promise<void> {
  try {
    await chown(outputDir, SANDBOX_UID, SANDBOX_GID);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') {
      throw new RunnerError(
        'AGENT_ERROR',
        `cannot prepare the output directory ${outputDir}: ${String(err)}`,
        {
          cause: err,
        },
      );
    }
    await chmod(outputDir, 0o777);
  }
}

async function killQuietly(container: Docker.Container, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  try {
    await container.kill({ signal });
  } catch {
    // 404/409: it already exited, which is what we wanted.
  }
}

function cancelledBeforeStart(): RunResult {
  const now = new Date();
  return { exitCode: -1, outcome: 'cancelled', startedAt: now, finishedAt: now };
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function parseWaitResponse(body: unknown): number {
  const { StatusCode, Error: error } = body as { StatusCode?: unknown; Error?: { Message?: string } | null };
  if (typeof StatusCode !== 'number') throw new Error(`unexpected wait response: ${JSON.stringify(body)}`);
  if (error?.Message) throw new Error(`waiting for the container failed: ${error.Message}`);
  return StatusCode;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
