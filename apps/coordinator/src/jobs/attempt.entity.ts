import type { OutputFile } from '@tessera/protocol';
import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ProviderEntity } from '../providers/provider.entity';
import { AttemptState } from './job-state';
import { TaskEntity } from './task.entity';

/** One execution of a task by one provider: its lease, timings, logs and outcome. */
@Entity('attempt')
@Check(
  'attempt_state_ck',
  `"state" IN ('LEASED','RUNNING','SUCCEEDED','FAILED','EXPIRED','CANCELLED','REJECTED')`,
)
@Index('attempt_task_idx', ['taskId'])
@Index('attempt_provider_idx', ['providerId', 'leasedAt'])
// Partial index over live leases, for the expiry sweep; created by migration.
@Index('attempt_live_lease_idx', { synchronize: false })
export class AttemptEntity {
  /** Chosen by the claim statement itself (it is also the task's currentAttemptId). */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid' })
  taskId: string;

  @ManyToOne(() => TaskEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id' })
  task?: TaskEntity;

  @Column({ type: 'uuid' })
  jobId: string;

  @Column({ type: 'uuid' })
  providerId: string;

  @ManyToOne(() => ProviderEntity)
  @JoinColumn({ name: 'provider_id' })
  provider?: ProviderEntity;

  /** 1 for the first lease of the task, 2 for the retry after it, … */
  @Column({ type: 'int' })
  number: number;

  @Column({ type: 'varchar', length: 16 })
  state: AttemptState;

  @Column({ type: 'timestamptz' })
  leasedAt: Date;

  @Column({ type: 'timestamptz' })
  leaseExpiresAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'int', nullable: true })
  exitCode: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  failureCode: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  failureMessage: string | null;

  /** The last few KiB of the container's output. */
  @Column({ type: 'text', default: '' })
  logTail: string;

  @Column({ type: 'jsonb', nullable: true })
  outputs: OutputFile[] | null;

  /**
   * The Merkle root (hex) over its output items the provider committed to on completion
   * (docs/protocol.md, "Commitments"); null for kinds without items and agents that send none.
   */
  @Column({ type: 'char', length: 64, nullable: true })
  commitmentRoot: string | null;

  /** How many items the commitment covers; stored together with commitmentRoot. */
  @Column({ type: 'int', nullable: true })
  commitmentItems: number | null;
}
