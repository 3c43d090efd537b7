import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How often a provider failed a job; at the configured limit it gets none of that job's tasks. */
@Entity('job_provider_failure')
export class JobProviderFailureEntity {
  @PrimaryColumn({ type: 'uuid' })
  jobId: string;

  @PrimaryColumn({ type: 'uuid' })
  providerId: string;

  @Column({ type: 'int' })
  failures: number;

  @Column({ type: 'timestamptz' })
  lastFailureAt: Date;
}
