import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A customer: owns jobs, blobs and API keys. */
@Entity('account')
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The Solana wallet that signs in to this account (base58), if one is linked; one account per wallet. */
  @Index('account_wallet_uq', { unique: true })
  @Column({ type: 'varchar', length: 44, nullable: true })
  wallet: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
