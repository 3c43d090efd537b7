import type { ImagePreprocess, Postprocess, TensorSignature } from '@tessera/workloads';
import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { AccountEntity } from '../accounts/account.entity';
import { bigintNumber } from '../database/transformers';

/**
 * An ONNX model a customer registered for inference batches: the file, its signature as the model
 * inspector read it (narrowed by what the customer declared), and how rows become tensors and
 * tensors become outputs.
 */
@Entity('model')
@Index('model_account_name_uq', ['accountId', 'name'], { unique: true })
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @ManyToOne(() => AccountEntity)
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'char', length: 64 })
  onnxSha256: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  onnxSize: number;

  @Column({ type: 'char', length: 64, nullable: true })
  labelsSha256: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  labelsSize: number | null;

  @Column({ type: 'jsonb' })
  inputs: TensorSignature[];

  @Column({ type: 'jsonb' })
  outputs: TensorSignature[];

  @Column({ type: 'int' })
  batchSize: number;

  @Column({ type: 'jsonb', nullable: true })
  preprocess: ImagePreprocess | null;

  @Column({ type: 'jsonb', nullable: true })
  postprocess: Postprocess | null;

  /** Measured at registration in the sandbox (2 threads); sizes shards and prices batches. */
  @Column({ type: 'real', nullable: true })
  msPerRow: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
