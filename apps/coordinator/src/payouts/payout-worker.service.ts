import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ChainService } from '../chain/chain.service';
import { SimulatedCrash } from '../common/crash-points';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { PayoutBatchEntity, PayoutBatchState } from './payout.entities';
import { PayoutBatcherService } from './payout-batcher.service';
import { PayoutSettlerService } from './payout-settler.service';
import { PayoutsRepository } from './payouts.repository';
import { TokenAccountSetupsService } from './token-account-setups.service';

/** What one run did, by batch: for logs, tests and the bench. */
export interface PayoutRun {
  batches: { id: string; state: PayoutBatchState; transfers: number; signature: string | null }[];
}

/** Batches advanced at once: signing, sending and recording overlap their round trips. */
const STEP_CONCURRENCY = 8;

/** Unfinished batches one run picks up (crashed peers' included, once their lease ran out). */
const RECONCILE_PER_RUN = 50;

/**
 * The payout worker: one per coordinator, every TESSERA_PAYOUT_INTERVAL_SEC and once at start-up
 * (to finish what a crash left). A run (1) records the cost of token-account setups that are final,
 * (2) claims unfinished batches (any replica's whose lease ran out) and advances each, (3) batches
 * earnings that are due, signs and sends the new batches, and (4) waits a bounded time for them to
 * be finalized and records them; what is not final yet is picked up by a later run.
 *
 * Several replicas may run it at once: batches are claimed with leases (SKIP LOCKED), a provider has
 * at most one open intent (a unique index), and what keeps money exact does not depend on the lease
 * at all (see PayoutSettlerService): a batch is signed once, and every ledger step is idempotent.
 */
@Injectable()
export class PayoutWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Payouts');
  private timer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  /** How long a run holds the batches it works on before another replica may take them over. */
  readonly leaseMs: number;

  constructor(
    private readonly chain: ChainService,
    private readonly payouts: PayoutsRepository,
    private readonly batcher: PayoutBatcherService,
    private readonly settler: PayoutSettlerService,
    private readonly setups: TokenAccountSetupsService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {
    this.leaseMs = Math.min(Math.max(2 * config.payouts.intervalMs, 15_000), 300_000);
  }

  onApplicationBootstrap(): void {
    const kick = () => {
      void this.runOnce().catch((error: unknown) =>
        this.logger.error({ msg: 'payout run failed', err: error instanceof Error ? error.message : error }),
      );
    };
    this.timer = setInterval(kick, this.config.payouts.intervalMs);
    this.timer.unref();
    kick(); // at start-up: reconcile whatever an earlier process left unfinished
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.queue.catch(() => undefined);
  }

  /** One run (see the class comment); runs in this process never overlap. */
  runOnce(): Promise<PayoutRun> {
    const run = this.queue.catch(() => undefined).then(() => this.execute());
    this.queue = run;
    return run;
  }

  private async execute(): Promise<PayoutRun> {
    if (this.stopping) return { batches: [] };
    await this.setups.reconcile();
    const touched = new Map<string, PayoutBatchEntity>();

    const open = await this.payouts.claimOpen(this.leaseMs, RECONCILE_PER_RUN);
    for (const batch of open) touched.set(batch.id, batch);
    await this.stepAll(open, { resend: true });
    const created = await this.batcher.createBatches(this.leaseMs);
    for (const batch of created) touched.set(batch.id, batch);
    await this.stepAll(created, { resend: true });
    await this.settle([...touched.keys()], Math.min(this.leaseMs / 2, 30_000));
    const final = await this.payouts.batches([...touched.keys()]);
    await this.payouts.release(
      final.filter((b) => b.state === 'PENDING' || b.state === 'SENT').map((b) => b.id),
    );
    return {
      batches: final.map((b) => ({
        id: b.id,
        state: b.state,
        transfers: b.transfers,
        signature: b.signature,
      })),
    };
  }

  /**
   * Advances batches, a few at a time (they pay different providers; the ledger orders what they
   * share); a simulated crash in any ends the run once the others are done, as in `step`.
   */
  private async stepAll(batches: PayoutBatchEntity[], opts: { resend: boolean }): Promise<void> {
    let next = 0;
    let crash: SimulatedCrash | undefined;
    const lane = async () => {
      while (next < batches.length && !crash) {
        const batch = batches[next++];
        try {
          await this.step(batch, opts);
        } catch (error) {
          crash = error as SimulatedCrash;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STEP_CONCURRENCY, batches.length) }, lane));
    if (crash) throw crash;
  }

  /** Advances one batch; a failure (RPC down) is logged and left for a later run. */
  private async step(batch: PayoutBatchEntity, opts: { resend: boolean }): Promise<void> {
    try {
      await this.settler.advance(batch, opts);
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.logger.error({
        msg: 'payout batch step failed; retried next run',
        batch: batch.id,
        err: (error as Error).message,
      });
    }
  }

  /** Polls the SENT batches until each is final or `waitMs` passes, recording those that finalize. */
  private async settle(ids: string[], waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    let open = (await this.payouts.batches(ids)).filter((b) => b.state === 'SENT');
    while (open.length > 0 && Date.now() < deadline && !this.stopping) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      let statuses;
      try {
        statuses = await this.chain.signatureStatuses(open.map((b) => b.signature as string));
      } catch {
        return; // RPC trouble: a later run reconciles them
      }
      const ready = open.filter((_, i) => statuses[i]?.confirmationStatus === 'finalized');
      await this.stepAll(ready, { resend: false });
      const readyIds = new Set(ready.map((b) => b.id));
      open = open.filter((b) => !readyIds.has(b.id));
    }
  }
}
