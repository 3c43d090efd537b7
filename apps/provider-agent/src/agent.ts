import type { CancelMessage, HeartbeatAckMessage, Lease, ProofRequestMessage } from '@tessera/protocol';
import type { Logger } from 'pino';
import { BlobCache } from './blobs/blob-cache';
import { BlobClient } from './blobs/blob-client';
import { sleep } from './connection/backoff';
import {
  CoordinatorConnection,
  DisconnectedError,
  RequestRefusedError,
} from './connection/coordinator-connection';
import type { ContainerRuntime } from '@tessera/sandbox';
import { createWorkloadRegistry } from '@tessera/workloads';
import { CommitmentJournal } from './tasks/commitment-journal';
import { TaskExecution } from './tasks/task-execution';

export type AgentState = 'idle' | 'busy' | 'draining' | 'stopped';

export interface AgentOptions {
  connection: CoordinatorConnection;
  runtime: ContainerRuntime;
  blobs: BlobClient;
  /** Inputs kept across tasks; claims list what it holds so tasks keyed on those come here first. */
  cache: BlobCache;
  logger: Logger;
  workDir: string;
  slots: number;
  allowedImages: readonly string[];
  pullImages: boolean;
  gpuAvailable: boolean;
  stopGraceMs: number;
}

/**
 * The provider agent: two named loops over one connection, Buildkite-style.
 * - claim loop: while a slot is free and the agent is not draining, ask for work (the coordinator
 *   holds the request open until work arrives) and start each lease as a TaskExecution;
 * - heartbeat loop: renew the leases of running tasks and stop those the coordinator revoked.
 * `stop()` drains (finish running tasks, take no more); `cancel()` kills running tasks now. Both
 * end with every task's cleanup and outcome report completed.
 */
export class ProviderAgent {
  private state: AgentState = 'idle';
  private readonly executions = new Map<string, TaskExecution>();
  /** Aborted when the agent should take no more work. */
  private readonly stopController = new AbortController();
  /** Aborted when the agent has stopped: ends the heartbeat loop's sleep. */
  private readonly closed = new AbortController();
  private slotFreed?: () => void;
  private loops: Promise<void>[] = [];
  private readonly workloads = createWorkloadRegistry();
  private readonly journal: CommitmentJournal;
  /** Off once a coordinator refused `cachedBlobs` in a claim (one older than the field). */
  private listCachedBlobs = true;

  constructor(private readonly opts: AgentOptions) {
    this.journal = new CommitmentJournal(opts.workDir);
  }

  get currentState(): AgentState {
    return this.state;
  }

  get running(): number {
    return this.executions.size;
  }

  start(): void {
    const { connection } = this.opts;
    connection.on('cancel', (message: CancelMessage) =>
      this.executions.get(message.attemptId)?.cancel(message.reason),
    );
    connection.on('proof.request', (message: ProofRequestMessage) => void this.prove(message));
    void this.journal
      .prune()
      .catch((error: unknown) => this.opts.logger.warn({ err: error }, 'could not prune old commitments'));
    // Renew leases as soon as a (re)connection is up, before they can lapse.
    connection.on('ready', () => void this.heartbeat());
    connection.start();
    this.loops = [this.claimLoop(), this.heartbeatLoop()];
  }

  /** Graceful stop: take no more work, let running tasks finish and report, then disconnect. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    if (this.state !== 'draining')
      this.opts.logger.info(
        { running: this.executions.size },
        'draining: finishing running tasks, taking no more',
      );
    this.state = 'draining';
    this.stopController.abort();
    this.slotFreed?.();
    await Promise.all([...this.executions.values()].map((e) => e.done));
    await this.shutdown();
  }

  /** Immediate stop: cancel running tasks (SIGTERM, then SIGKILL after the grace period), report them, disconnect. */
  async cancel(reason = 'the agent is shutting down'): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'draining';
    this.stopController.abort();
    this.slotFreed?.();
    for (const execution of this.executions.values()) execution.cancel(reason);
    // Containers are stopped and removed whatever happens; only waiting for an unreachable
    // coordinator to hear about it is bounded.
    const abandon = setTimeout(() => {
      for (const execution of this.executions.values()) execution.abandonReports();
    }, this.opts.stopGraceMs + 10_000);
    await Promise.all([...this.executions.values()].map((e) => e.done));
    clearTimeout(abandon);
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopped';
    this.closed.abort();
    await this.opts.connection.stop();
    await Promise.all(this.loops);
    this.opts.logger.info('agent stopped');
  }

  private async claimLoop(): Promise<void> {
    const { connection, logger } = this.opts;
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      if (this.executions.size >= this.opts.slots) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        await connection.whenReady(signal);
        // The coordinator holds a claim open while it has no work (up to ~20 s).
        const cachedBlobs = this.listCachedBlobs ? this.opts.cache.held() : [];
        const reply = await connection.request(
          { type: 'claim', ...(cachedBlobs.length > 0 ? { cachedBlobs } : {}) },
          60_000,
        );
        if (reply.type === 'lease') this.begin(reply.lease);
        else if (reply.type === 'no-work') await sleep(reply.retryAfterMs, signal);
      } catch (error) {
        if (error instanceof DisconnectedError) continue;
        if (
          error instanceof RequestRefusedError &&
          error.code === 'BAD_MESSAGE' &&
          this.listCachedBlobs &&
          error.message.includes('cachedBlobs')
        ) {
          // A coordinator from before blob affinity: claim without the list (work is still offered).
          logger.warn({ reason: error.message }, 'the coordinator does not take cached blobs in claims');
          this.listCachedBlobs = false;
          continue;
        }
        if (error instanceof RequestRefusedError) {
          logger.warn({ reason: error.message }, 'claim refused');
          await sleep(5_000, signal);
          continue;
        }
        throw error;
      }
    }
  }

  private begin(lease: Lease): void {
    const { logger } = this.opts;
    const execution = new TaskExecution(lease, {
      runtime: this.opts.runtime,
      blobs: this.opts.blobs,
      cache: this.opts.cache,
      connection: this.opts.connection,
      workDir: this.opts.workDir,
      journal: this.journal,
      workloads: this.workloads,
      allowedImages: this.opts.allowedImages,
      pullImages: this.opts.pullImages,
      gpuAvailable: this.opts.gpuAvailable,
      stopGraceMs: this.opts.stopGraceMs,
      logger,
    });
    this.executions.set(lease.attemptId, execution);
    this.state = this.state === 'draining' ? 'draining' : 'busy';
    logger.info(
      { attemptId: lease.attemptId, jobId: lease.jobId, kind: lease.kind, image: lease.container.image },
      'task leased',
    );
    // A lease that arrives after stop() was asked for is new work: hand it back at once.
    if (this.stopController.signal.aborted) execution.cancel('the agent is stopping');
    void execution.done.finally(() => {
      this.executions.delete(lease.attemptId);
      if (this.executions.size === 0 && this.state === 'busy') this.state = 'idle';
      this.slotFreed?.();
      this.slotFreed = undefined;
    });
  }

  /**
   * Answers a spot-check: the sampled items of a task this agent completed, proven against its
   * commitment from the journal. Without a record (the work directory was wiped) it says so with an
   * empty answer rather than letting the deadline pass.
   */
  private async prove(message: ProofRequestMessage): Promise<void> {
    const { connection, logger } = this.opts;
    const log = logger.child({ attemptId: message.attemptId });
    const proofs = await this.journal.prove(message.attemptId, message.items).catch((error: unknown) => {
      log.error({ err: error }, 'could not read the commitment journal');
      return undefined;
    });
    if (!proofs)
      log.error({ items: message.items }, 'spot-check: no record of this commitment; it cannot be proven');
    try {
      await connection.request({ type: 'task.proof', attemptId: message.attemptId, proofs: proofs ?? [] });
      log.info({ items: message.items }, 'spot-check: sampled items proven');
    } catch (error) {
      // Not delivered (disconnected) or refused: the coordinator asks again after a reconnect.
      log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'spot-check proof not accepted',
      );
    }
  }

  private async heartbeatLoop(): Promise<void> {
    while (this.state !== 'stopped') {
      const interval = this.opts.connection.welcome?.heartbeatIntervalMs ?? 10_000;
      await sleep(interval, this.closed.signal);
      if (this.closed.signal.aborted) return;
      await this.heartbeat();
    }
  }

  private async heartbeat(): Promise<void> {
    const { connection, logger } = this.opts;
    if (!connection.isReady) return;
    try {
      const reply = (await connection.request(
        { type: 'heartbeat', attempts: [...this.executions.keys()] },
        15_000,
      )) as HeartbeatAckMessage;
      for (const renewed of reply.renewed)
        this.executions.get(renewed.attemptId)?.renewed(renewed.leaseExpiresAt);
      for (const revoked of reply.revoked) {
        this.executions.get(revoked.attemptId)?.cancel(`lease revoked: ${revoked.reason}`);
      }
    } catch (error) {
      logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'heartbeat failed');
    }
  }
}
