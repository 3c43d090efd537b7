import type { OutputFile } from '@tessera/protocol';
import type { TaskInput } from '@tessera/workloads';
import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { bigintNumber } from '../database/transformers';
import { JobEntity } from './job.entity';
import { TaskRole, TaskState } from './job-state';

/**
 * A unit one provider executes. Guarantee: at most one attempt of a task is active at a time
 * (`currentAttemptId`), and at most one attempt is ever accepted.
 */
@Entity('task')
@Check(
  'task_state_ck',
  `"state" IN ('QUEUED','LEASED','RUNNING','SUBMITTED','VERIFYING','ACCEPTED','REJECTED','FAILED','CANCELLED')`,
)
@Check('task_role_ck', `"role" IN ('work','check')`)
// A job's work tasks are numbered uniquely; its spot-check tasks take the number of the task they check.
@Index('task_job_index_uq', ['jobId', 'index'], { unique: true, where: `"role" = 'work'` })
// Partial indexes the claim query walks; created by migration (TypeORM cannot describe them).
@Index('task_queue_idx', { synchronize: false })
@Index('task_queue_image_idx', { synchronize: false })
@Index('task_queue_cache_key_idx', { synchronize: false })
// Accepted work by finish time, for the market's recent throughput (market/); created by migration.
@Index('task_accepted_idx', { synchronize: false })
export class TaskEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  jobId: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  @Column({ type: 'int' })
  index: number;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'varchar', length: 16 })
  state: TaskState;

  /**
   * `work`: part of what the customer asked for. `check`: a spot-check that re-executes samples of
   * another task's accepted-pending attempt (verification/); it counts towards nothing the customer sees.
   */
  @Column({ type: 'varchar', length: 8, default: 'work' })
  role: TaskRole;

  /** Check tasks: the verification they serve. */
  @Column({ type: 'uuid', nullable: true })
  verificationId: string | null;

  /**
   * Provider ids and owner addresses that may not lease this task (a check's checked provider and
   * the verifiers before it): spot-checks are done by someone else.
   */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  exclude: string[];

  /** Check tasks: from when the trusted verifier pool may lease it (null: never). */
  @Column({ type: 'timestamptz', nullable: true })
  poolAfter: Date | null;

  @Column({ type: 'jsonb' })
  params: Record<string, unknown>;

  @Column({ type: 'varchar', length: 300 })
  image: string;

  @Column({ type: 'real' })
  reqCpus: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  reqMemoryBytes: number;

  @Column({ type: 'int' })
  reqGpus: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  reqVramBytes: number;

  @Column({ type: 'int' })
  timeoutSec: number;

  @Column({ type: 'jsonb' })
  inputs: TaskInput[];

  /** SHA-256 of the input worth already having (a model): providers whose agents cache it come first. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  cacheKey: string | null;

  @Column({ type: 'int', default: 0 })
  priority: number;

  /** Units of progress this task is worth (frames of a render chunk); 1 for kinds without items. */
  @Column({ type: 'int', default: 1 })
  items: number;

  /** Leases taken so far; the task fails once this reaches maxAttempts and the last one failed. */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ type: 'int' })
  maxAttempts: number;

  @Column({ type: 'uuid', nullable: true })
  currentAttemptId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  outputs: OutputFile[] | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  errorMessage: string | null;

  /** When the task last entered the queue: FIFO order among equal priorities. */
  @Column({ type: 'timestamptz' })
  queuedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
