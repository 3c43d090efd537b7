import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Why money moved. Each domain operation of LedgerService posts exactly one kind. */
export enum JournalKind {
  /** Treasury → customer available: a verified on-chain deposit. */
  DEPOSIT = 'deposit',
  /** Customer available → job escrow: a job's price cap, reserved at submission. */
  ESCROW_RESERVE = 'escrow_reserve',
  /** Job escrow → provider earnings and platform fees: an accepted task. */
  TASK_CAPTURE = 'task_capture',
  /** Job escrow → customer available: what a finished job did not spend. */
  ESCROW_REFUND = 'escrow_refund',
  /** Treasury or provider earnings → provider bond. */
  BOND_HOLD = 'bond_hold',
  /** Provider bond → platform slashed: a failed spot-check. */
  BOND_SLASH = 'bond_slash',
  /** Provider earnings → payouts in flight: a payout intent recorded before sending. */
  PAYOUT_BEGIN = 'payout_begin',
  /** Payouts in flight → treasury: the transfer is confirmed on chain. */
  PAYOUT_COMPLETE = 'payout_complete',
  /** Payouts in flight → provider earnings: the transfer will never happen. */
  PAYOUT_CANCEL = 'payout_cancel',
  /** A fee charged on a payout. */
  PAYOUT_FEE = 'payout_fee',
  /** Platform fees → a verifier's earnings: a spot-check it re-executed, paid by the platform. */
  CHECK_PAY = 'check_pay',
  /** An operator's correction, with a memo saying why. */
  ADJUSTMENT = 'adjustment',
}

/**
 * One posting: a set of entries that sum to zero, applied atomically, at most once per idempotency
 * key. `fingerprint` hashes what the caller asked for (kind, references, memo, entries), so a retry
 * of the same request is recognised and a different request reusing the key is refused. The
 * references are for reading and reconciliation only: no foreign keys, because the ledger is
 * append-only and must outlive (and never block) the rows it mentions.
 */
@Entity('ledger_journal')
@Check(
  'ledger_journal_kind_ck',
  `"kind" IN ('deposit','escrow_reserve','task_capture','escrow_refund','bond_hold','bond_slash','payout_begin','payout_complete','payout_cancel','payout_fee','check_pay','adjustment')`,
)
export class LedgerJournalEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ledger_journal_key_uq', { unique: true })
  @Column({ type: 'varchar', length: 200 })
  idempotencyKey: string;

  @Column({ type: 'varchar', length: 32 })
  kind: JournalKind;

  /** SHA-256 (hex) of the request's canonical form. */
  @Column({ type: 'char', length: 64 })
  fingerprint: string;

  @Column({ type: 'uuid', nullable: true })
  jobId: string | null;

  @Column({ type: 'uuid', nullable: true })
  taskId: string | null;

  @Column({ type: 'uuid', nullable: true })
  providerId: string | null;

  /** The customer account involved, if any. */
  @Column({ type: 'uuid', nullable: true })
  accountId: string | null;

  @Column({ type: 'uuid', nullable: true })
  payoutIntentId: string | null;

  /** The Solana transaction behind a deposit, bond deposit or payout (base58, up to 88 characters). */
  @Column({ type: 'varchar', length: 88, nullable: true })
  chainSignature: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  memo: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
