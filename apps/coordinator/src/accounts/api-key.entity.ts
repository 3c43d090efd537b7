import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { AccountEntity } from './account.entity';

/** An API key, stored as the SHA-256 of the secret; the secret itself is shown once at creation. */
@Entity('api_key')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('api_key_account_idx')
  @Column({ type: 'uuid' })
  accountId: string;

  @ManyToOne(() => AccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;

  /** The first characters of the key, to tell keys apart in listings. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Index('api_key_hash_uq', { unique: true })
  @Column({ type: 'char', length: 64 })
  keyHash: string;

  @Column({ type: 'varchar', length: 100, default: 'default' })
  label: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** When the key last authenticated a request, to the minute (written at most once a minute). */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Handed out by a sign-in (a wallet's) rather than made by the customer: signing out revokes it. */
  @Column({ type: 'boolean', default: false })
  session: boolean;
}
