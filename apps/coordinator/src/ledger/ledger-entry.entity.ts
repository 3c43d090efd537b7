import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { bigintUnits } from './amount';
import { LedgerAccountEntity } from './ledger-account.entity';
import { LedgerJournalEntity } from './ledger-journal.entity';

/**
 * One line of a journal: `amount` base units added to (positive) or taken from (negative) one
 * ledger account. Append-only (a trigger refuses UPDATE and DELETE); a mistake is corrected by a
 * new journal. The id grows with insertion and is the cursor for paging an owner's history.
 */
@Entity('ledger_entry')
@Check('ledger_entry_amount_ck', `"amount" <> 0`)
@Index('ledger_entry_account_idx', ['accountId', 'id'])
@Index('ledger_entry_journal_idx', ['journalId'])
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  journalId: string;

  @ManyToOne(() => LedgerJournalEntity)
  @JoinColumn({ name: 'journal_id' })
  journal?: LedgerJournalEntity;

  @Column({ type: 'uuid' })
  accountId: string;

  @ManyToOne(() => LedgerAccountEntity)
  @JoinColumn({ name: 'account_id' })
  account?: LedgerAccountEntity;

  @Column({ type: 'bigint', transformer: bigintUnits })
  amount: bigint;
}
