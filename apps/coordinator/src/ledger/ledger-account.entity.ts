import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintUnits } from './amount';
import { LedgerAccountType } from './ledger-account';

/**
 * One ledger account (naming and sign convention in ledger-account.ts) with its balance kept
 * materialized: every posting updates it in the same transaction as the entries it inserts, under
 * a row lock, so `balance` always equals the sum of the account's entries (`checkInvariant` proves
 * it) and overdraft checks read one locked row instead of summing history.
 */
@Entity('ledger_account')
@Check(
  'ledger_account_type_ck',
  `"type" IN ('customer_available','job_escrow','provider_earnings','provider_bond','provider_payouts_in_flight','platform_fees','platform_slashed','treasury')`,
)
// The last line of defence behind the refusal in LedgerRepository.post: only the treasury goes negative.
@Check('ledger_account_balance_ck', `"balance" >= 0 OR "type" = 'treasury'`)
@Index('ledger_account_owner_idx', ['ownerId'])
export class LedgerAccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ledger_account_name_uq', { unique: true })
  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Column({ type: 'varchar', length: 32 })
  type: LedgerAccountType;

  /**
   * The customer account or provider the money belongs to; null for platform accounts. No foreign
   * key: owners are of two kinds, and the ledger must never block or cascade from their deletion.
   */
  @Column({ type: 'uuid', nullable: true })
  ownerId: string | null;

  /** The job of an escrow account. */
  @Column({ type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'bigint', default: 0, transformer: bigintUnits })
  balance: bigint;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
