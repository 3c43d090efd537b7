import type { Capabilities } from '@tessera/protocol';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A machine running the provider agent, identified by its ed25519 key (its Solana address). */
@Entity('provider')
export class ProviderEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('provider_address_uq', { unique: true })
  @Column({ type: 'varchar', length: 44 })
  address: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  /** The wallet that owns the machine and is paid for it; null: the provider's own address. */
  @Column({ type: 'varchar', length: 44, nullable: true })
  owner: string | null;

  @Column({ type: 'jsonb' })
  capabilities: Capabilities;

  @Column({ type: 'varchar', length: 50 })
  agentVersion: string;

  @CreateDateColumn({ type: 'timestamptz' })
  firstSeenAt: Date;

  /** Updated on connect and on every heartbeat; a provider is online while this is recent. */
  @Column({ type: 'timestamptz' })
  lastSeenAt: Date;

  /** Set while a socket is open on some replica; cleared on disconnect. */
  @Column({ type: 'timestamptz', nullable: true })
  connectedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  bannedAt: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  banReason: string | null;

  // Spot-check record (verification/): what the adaptive check rate and reputation are computed from.

  @Column({ type: 'int', default: 0 })
  checksPassed: number;

  @Column({ type: 'int', default: 0 })
  checksFailed: number;

  /** Checks passed since the last failure. */
  @Column({ type: 'int', default: 0 })
  cleanStreak: number;
}
