import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { bigintUnits } from '../ledger/amount';
import { ProviderEntity } from '../providers/provider.entity';

const bigintNumber = {
  to: (v: number | null) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

/**
 * One payout transaction: up to 18 transferChecked from the treasury and a memo
 * `tessera:payout:<id>`. States (docs/payments.md):
 * PENDING (intents recorded, nothing signed: nothing can be on chain) → SENT (signed; signature,
 * wire bytes and lastValidBlockHeight stored before the first send) → PAID (finalized, success) |
 * FAILED (finalized with an error: nothing moved) | EXPIRED (never landed and its blockhash is
 * past lastValidBlockHeight, so it never can) | CANCELLED (none of its intents could begin, e.g. the
 * earnings were spent first; nothing signed). A batch is signed at most once: its one signature is
 * set by a compare-and-set from PENDING. FAILED, EXPIRED and CANCELLED return the intents' amounts
 * to the providers' earnings, so the next run pays them in a new batch.
 */
@Entity('payout_batch')
@Check('payout_batch_state_ck', `"state" IN ('PENDING','SENT','PAID','FAILED','EXPIRED','CANCELLED')`)
@Index('payout_batch_open_idx', ['state', 'createdAt'])
export class PayoutBatchEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 16 })
  state: PayoutBatchState;

  @Index('payout_batch_signature_uq', { unique: true })
  @Column({ type: 'varchar', length: 88, nullable: true })
  signature: string | null;

  /** The signed wire transaction (base64), so a restart re-sends exactly these bytes. */
  @Column({ type: 'text', nullable: true })
  transaction: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  lastValidBlockHeight: number | null;

  /** Transfers (intents) in the transaction. */
  @Column({ type: 'int' })
  transfers: number;

  @Column({ type: 'bigint', transformer: bigintUnits })
  total: bigint;

  /** The transaction fee in lamports, once finalized (a platform expense, paid in SOL). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintUnits })
  feeLamports: bigint | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  slot: number | null;

  /** Why it FAILED or EXPIRED. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  error: string | null;

  /** A worker is advancing it until then (any replica may take it over afterwards). */
  @Column({ type: 'timestamptz', nullable: true })
  claimedUntil: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

export type PayoutBatchState = 'PENDING' | 'SENT' | 'PAID' | 'FAILED' | 'EXPIRED' | 'CANCELLED';
export type PayoutIntentState = 'PENDING' | 'SENT' | 'PAID' | 'CANCELLED';

/**
 * One provider's share of a batch: its id is the ledger's payout intent (`payout:begin:<id>`,
 * `payout:end:<id>`). A provider has at most one open (PENDING or SENT) intent at a time: the
 * partial unique index makes concurrent batchers (replicas) split providers between them.
 */
@Entity('payout_intent')
@Check('payout_intent_state_ck', `"state" IN ('PENDING','SENT','PAID','CANCELLED')`)
@Index('payout_intent_open_uq', ['providerId'], { unique: true, where: `"state" IN ('PENDING','SENT')` })
@Index('payout_intent_provider_created_idx', ['providerId', 'createdAt'])
@Index('payout_intent_batch_idx', ['batchId'])
export class PayoutIntentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  batchId: string;

  @ManyToOne(() => PayoutBatchEntity)
  @JoinColumn({ name: 'batch_id' })
  batch?: PayoutBatchEntity;

  @Column({ type: 'uuid' })
  providerId: string;

  @ManyToOne(() => ProviderEntity)
  @JoinColumn({ name: 'provider_id' })
  provider?: ProviderEntity;

  /** The wallet paid (the provider's owner, else its own address) and its token account. */
  @Column({ type: 'varchar', length: 44 })
  wallet: string;

  @Column({ type: 'varchar', length: 44 })
  tokenAccount: string;

  @Column({ type: 'bigint', transformer: bigintUnits })
  amount: bigint;

  @Column({ type: 'varchar', length: 16 })
  state: PayoutIntentState;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

export type TokenAccountSetupState = 'SENT' | 'DONE' | 'FAILED' | 'EXPIRED';

/**
 * A transaction creating the token accounts of wallets about to be paid
 * (createAssociatedTokenAccountIdempotent each), paid by the treasury in SOL. Kept apart from the
 * payout transaction so that one holds 18 transfers instead of 9. Its signature is stored before it
 * is sent; `feeLamports` and `rentLamports` are read from the finalized transaction: the platform's
 * SOL expense for onboarding those wallets (docs/payments.md).
 */
@Entity('token_account_setup')
@Check('token_account_setup_state_ck', `"state" IN ('SENT','DONE','FAILED','EXPIRED')`)
export class TokenAccountSetupEntity {
  @PrimaryColumn({ type: 'varchar', length: 88 })
  signature: string;

  @Column({ type: 'varchar', length: 16 })
  state: TokenAccountSetupState;

  @Column({ type: 'text' })
  transaction: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  lastValidBlockHeight: number;

  /** The wallets whose token accounts it creates (when missing). */
  @Column({ type: 'jsonb' })
  wallets: string[];

  @Column({ type: 'bigint', nullable: true, transformer: bigintUnits })
  feeLamports: bigint | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintUnits })
  rentLamports: bigint | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

export const PAYOUT_ENTITIES = [PayoutBatchEntity, PayoutIntentEntity, TokenAccountSetupEntity];
