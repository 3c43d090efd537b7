import type { OutputFile } from '@tessera/protocol';
import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { AccountEntity } from '../accounts/account.entity';
import { JobState } from './job-state';

/** What a customer asked for. Its tasks do the work; its outputs are theirs merged in task order. */
@Entity('job')
@Check('job_state_ck', `"state" IN ('QUEUED','RUNNING','COMPLETED','FAILED','CANCELLED')`)
@Index('job_account_created_idx', ['accountId', 'createdAt'])
export class JobEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @ManyToOne(() => AccountEntity)
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;

  @Column({ type: 'varchar', length: 32 })
  kind: string;

  /** The customer's label for the job, if any. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 16 })
  state: JobState;

  /** The validated parameters, as the workload plugin normalised them. */
  @Column({ type: 'jsonb' })
  params: Record<string, unknown>;

  @Column({ type: 'int', default: 0 })
  priority: number;

  @Column({ type: 'int' })
  tasksTotal: number;

  @Column({ type: 'int', default: 0 })
  tasksDone: number;

  /** Progress in the kind's own unit (frames, rows); tasks for kinds without one. */
  @Column({ type: 'int', default: 0 })
  itemsTotal: number;

  @Column({ type: 'int', default: 0 })
  itemsDone: number;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  outputs: OutputFile[];

  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  errorMessage: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
