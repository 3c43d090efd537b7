import { LedgerAccountEntity } from './ledger-account.entity';
import { LedgerEntryEntity } from './ledger-entry.entity';
import { LedgerJournalEntity } from './ledger-journal.entity';

/** The ledger's tables, for database/entities.ts (one line there). */
export const LEDGER_ENTITIES = [LedgerAccountEntity, LedgerJournalEntity, LedgerEntryEntity];
