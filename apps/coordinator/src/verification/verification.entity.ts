import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { JobEntity } from '../jobs/job.entity';
import { TaskEntity } from '../jobs/task.entity';
import { ProviderEntity } from '../providers/provider.entity';

export enum VerificationState {
  /** Waiting for the provider to prove the sampled items against its commitment. */
  PROVING = 'PROVING',
  /** A verifier is re-executing the samples (a check task is queued or running). */
  CHECKING = 'CHECKING',
  /** The samples match: the task is accepted. */
  PASSED = 'PASSED',
  /** The provider's result is not the work asked for: the task is re-queued, the provider penalised. */
  FAILED = 'FAILED',
  /** No conclusion (grey zone every round, verifiers disagreeing, checks that cannot run): the task is re-executed, nobody penalised. */
  UNRESOLVED = 'UNRESOLVED',
  /** The job ended first. */
  CANCELLED = 'CANCELLED',
}

export const FINAL_VERIFICATION_STATES: readonly VerificationState[] = [
  VerificationState.PASSED,
  VerificationState.FAILED,
  VerificationState.UNRESOLVED,
  VerificationState.CANCELLED,
];

/** One sampled item: its position in the task's item order, key, and for renders the box re-rendered. */
export interface StoredSample {
  item: number;
  key: string;
  region?: { x: number; y: number; width: number; height: number };
}

/** One round of re-execution: who checked, how each sample compared, the round's verdict. */
export interface StoredRound {
  round: number;
  /** `sample`: fresh samples; `confirm`: the previous round's samples again, on another verifier, before a reject counts. */
  purpose: 'sample' | 'confirm';
  checkTaskId: string;
  samples: StoredSample[];
  verifierProviderId?: string;
  attemptId?: string;
  /** The verifier's commitment over its re-executed samples: two verifiers agree when these are equal. */
  commitmentRoot?: string;
  verdict?: 'accept' | 'reject' | 'inconclusive';
  reason?: string;
  comparisons?: {
    key: string;
    verdict: string;
    reason: string;
    psnr?: number | null;
    ssim?: number | null;
    identical?: boolean;
  }[];
  startedAt: string;
  finishedAt?: string;
}

/**
 * A spot-check of one attempt (DESIGN.md §5): the sample drawn after the provider's commitment,
 * the proof of the sampled items against it, and the rounds of re-execution on other providers.
 * Guarantee: at most one per attempt; the checked task stays VERIFYING until it is final.
 */
@Entity('verification')
@Check(
  'verification_state_ck',
  `"state" IN ('PROVING','CHECKING','PASSED','FAILED','UNRESOLVED','CANCELLED')`,
)
@Index('verification_attempt_uq', ['attemptId'], { unique: true })
@Index('verification_task_idx', ['taskId'])
@Index('verification_provider_idx', ['providerId', 'createdAt'])
// Partial index over verifications waiting for a proof (the deadline sweep); created by migration.
@Index('verification_proving_idx', { synchronize: false })
export class VerificationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  jobId: string;

  @ManyToOne(() => JobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job?: JobEntity;

  /** The checked task. */
  @Column({ type: 'uuid' })
  taskId: string;

  @ManyToOne(() => TaskEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'task_id' })
  task?: TaskEntity;

  /** The checked attempt (its commitment is what the samples are proven against). */
  @Column({ type: 'uuid' })
  attemptId: string;

  /** Who did the checked work. */
  @Column({ type: 'uuid' })
  providerId: string;

  @ManyToOne(() => ProviderEntity)
  @JoinColumn({ name: 'provider_id' })
  provider?: ProviderEntity;

  @Column({ type: 'varchar', length: 16 })
  state: VerificationState;

  /** The first round's samples (later rounds' are in `rounds`). */
  @Column({ type: 'jsonb' })
  samples: StoredSample[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  rounds: StoredRound[];

  /** Why it ended as it did; null while it runs. */
  @Column({ type: 'varchar', length: 2000, nullable: true })
  reason: string | null;

  /** PROVING: the provider must have answered by then. */
  @Column({ type: 'timestamptz', nullable: true })
  proofDeadline: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
