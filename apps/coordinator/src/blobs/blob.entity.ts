import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from '../database/transformers';

/** A stored blob; its bytes live in the blob store under the same digest. */
@Entity('blob')
export class BlobEntity {
  @PrimaryColumn({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  size: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/** An account may read a blob: it uploaded it, or it is an output of one of its jobs. */
@Entity('blob_grant')
export class BlobGrantEntity {
  @PrimaryColumn({ type: 'char', length: 64 })
  sha256: string;

  @PrimaryColumn({ type: 'uuid' })
  accountId: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
