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
import { bigintUnits } from '../ledger/amount';

/**
 * A verified on-chain deposit, credited to its account's available balance. At most one row per
 * transaction signature (a unique index), so a replayed signature is refused with the original
 * credit named; the ledger's `deposit:<signature>` key makes the credit itself happen once too.
 */
@Entity('deposit')
@Index('deposit_account_created_idx', ['accountId', 'createdAt'])
export class DepositEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('deposit_signature_uq', { unique: true })
  @Column({ type: 'varchar', length: 88 })
  signature: string;

  @Column({ type: 'uuid' })
  accountId: string;

  @ManyToOne(() => AccountEntity)
  @JoinColumn({ name: 'account_id' })
  account?: AccountEntity;

  /** Base units of the token that reached the treasury's token account. */
  @Column({ type: 'bigint', transformer: bigintUnits })
  amount: bigint;

  /** The wallet that signed the transfer (its authority). */
  @Column({ type: 'varchar', length: 44 })
  wallet: string;

  /** The slot the transaction landed in. */
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  slot: number;

  /** The ledger journal that credited it. */
  @Column({ type: 'uuid' })
  journalId: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
