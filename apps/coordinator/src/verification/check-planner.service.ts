import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CheckSample, sampleSeed, WorkloadOutputError, WorkloadPlugin } from '@tessera/workloads';
import { EntityManager } from 'typeorm';
import { BLOB_STORE, BlobStore, readBlobBytes } from '../blobs/blob-store';
import { BlobsService } from '../blobs/blobs.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { StoredSample } from './verification.entity';
import { CheckRecordsRepository, ProviderCheckRow } from './check-records.repository';
import { VerificationContext, VerificationRepository } from './verification.repository';

/** Check tasks go before ordinary work: a checked task's customer and provider are waiting on them. */
const CHECK_PRIORITY_BOOST = 10;

/**
 * Plans a round of re-execution: which samples, the check task that re-executes them (through
 * the kind's plugin), who may not run it, and from when the trusted pool may.
 */
@Injectable()
export class CheckPlanner {
  constructor(
    private readonly repo: VerificationRepository,
    private readonly records: CheckRecordsRepository,
    private readonly workloads: WorkloadRegistry,
    private readonly blobs: BlobsService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /**
   * Who may not run the next check (the checked provider, `verifiers` before it, and their owners)
   * and from when the trusted pool may take it: at once when no eligible provider is online. Read
   * before the verification is locked (the embedded database has a single connection).
   */
  async placement(
    v: VerificationContext,
    verifiers: (string | undefined)[],
  ): Promise<{ exclude: string[]; poolAfter: Date }> {
    const exclude: string[] = [];
    for (const id of [v.providerId, ...verifiers]) {
      if (!id) continue;
      const p = await this.records.provider(id);
      exclude.push(id, ...(p ? [p.owner, p.address] : []));
    }
    const unique = [...new Set(exclude)];
    const { trustedVerifiers, poolDelayMs } = this.config.verification;
    const eligible = await this.records.eligibleVerifiers(
      v.task.kind,
      unique,
      this.config.scheduler.heartbeatIntervalMs * 3,
      trustedVerifiers,
    );
    return { exclude: unique, poolAfter: new Date(Date.now() + (eligible > 0 ? poolDelayMs : 0)) };
  }

  async addRound(
    tx: EntityManager,
    v: VerificationContext,
    samples: StoredSample[],
    purpose: 'sample' | 'confirm',
    round: number,
    plan: Awaited<ReturnType<CheckPlanner['planRound']>>,
    placement: { exclude: string[]; poolAfter: Date },
  ): Promise<void> {
    await this.repo.addRound(
      tx,
      v,
      plan,
      { round, purpose, samples, startedAt: new Date().toISOString() },
      {
        priority: v.task.priority + CHECK_PRIORITY_BOOST,
        maxAttempts: v.task.maxAttempts,
        exclude: placement.exclude,
        poolAfter: placement.poolAfter,
      },
    );
  }

  /** The check task that re-executes `samples`, on the checked provider's kind of device. */
  async planRound(v: VerificationContext, samples: StoredSample[]) {
    const provider = (await this.records.provider(v.providerId)) as ProviderCheckRow;
    const c = provider.capabilities;
    return this.plugin(v).checkTask!(v.task, samples.map(fromStored), {
      provider: {
        cpuCores: c.cpu.cores,
        memoryBytes: c.memoryBytes,
        gpus: c.gpus,
        images: c.images,
        slots: c.slots,
      },
      readBlob: (sha256) => this.read(sha256),
      storeBlob: (data) => this.blobs.storeForAccount(v.accountId, data),
    });
  }

  /** Fresh samples for round `round` (> 1), from the first round's seed. */
  sample(v: VerificationContext, round: number): CheckSample[] {
    const first = sampleSeed(this.config.verification.sampleSecret, v.attemptId, v.commitmentRoot ?? '');
    const seed = createHash('sha256').update(first).update(`round-${round}`).digest();
    return this.plugin(v).sampleCheck?.(v.task, v.task.items, seed) ?? v.samples.map(fromStored);
  }

  plugin(v: VerificationContext): WorkloadPlugin {
    return this.workloads.get(v.task.kind);
  }

  /** A stored output or input, read whole (or its first `maxBytes`). */
  async read(sha256: string, maxBytes = Infinity): Promise<Buffer> {
    const bytes = await readBlobBytes(this.store, sha256, maxBytes);
    if (!bytes) throw new WorkloadOutputError(`blob ${sha256} is not in the blob store`);
    return bytes;
  }
}

export function toStored(s: CheckSample): StoredSample {
  return s.region ? { item: s.item, key: s.key, region: s.region } : { item: s.item, key: s.key };
}

export function fromStored(s: StoredSample): CheckSample {
  return s;
}
