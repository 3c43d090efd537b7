import { InnerInstructionRecord } from './svm';
import { TransactionError } from './transaction-error';
import { DecodedTransaction } from './wire-transaction';

export interface TokenBalance {
  accountIndex: number;
  mint: string;
  owner: string;
  programId: string;
  amount: bigint;
  decimals: number;
}

export interface TransactionMeta {
  err: TransactionError | null;
  fee: bigint;
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  logMessages: string[];
  innerInstructions: InnerInstructionRecord[][];
  computeUnitsConsumed: number;
  returnData: { programId: string; data: Buffer } | null;
}

/** A transaction that landed in a block, successful or not. */
export interface TransactionRecord {
  tx: DecodedTransaction;
  slot: number;
  blockTime: number;
  meta: TransactionMeta;
  /** Its memos as getSignaturesForAddress prints them (`[len] text; …`), null without one. */
  memo: string | null;
}

export interface SignatureQuery {
  before?: string;
  until?: string;
  limit: number;
  /** Only transactions at or below this slot (the requested commitment). */
  maxSlot: number;
}

/**
 * Every landed transaction, by signature and by each address it loaded, in the order they executed.
 * A signature appears once: the bank refuses to execute a transaction it already holds.
 */
export class TransactionStore {
  private readonly bySignature = new Map<string, { record: TransactionRecord; sequence: number }>();
  private readonly byAddress = new Map<string, TransactionRecord[]>();

  get count(): number {
    return this.bySignature.size;
  }

  add(record: TransactionRecord): void {
    this.bySignature.set(record.tx.signature, { record, sequence: this.bySignature.size });
    for (const address of new Set(record.tx.accountKeys)) {
      let list = this.byAddress.get(address);
      if (!list) this.byAddress.set(address, (list = []));
      list.push(record);
    }
  }

  get(signature: string): TransactionRecord | undefined {
    return this.bySignature.get(signature)?.record;
  }

  has(signature: string): boolean {
    return this.bySignature.has(signature);
  }

  /** All records, oldest first. */
  *all(): IterableIterator<TransactionRecord> {
    for (const { record } of this.bySignature.values()) yield record;
  }

  /** Newest first, strictly between `until` and `before` when given, as devnet pages them. */
  signaturesForAddress(address: string, query: SignatureQuery): TransactionRecord[] {
    const list = this.byAddress.get(address) ?? [];
    const sequenceOf = (signature: string | undefined) =>
      signature === undefined ? undefined : this.bySignature.get(signature)?.sequence;
    const before = sequenceOf(query.before);
    const until = sequenceOf(query.until);
    // A `before` we never saw has nothing older we could name, so the page is empty.
    if (query.before !== undefined && before === undefined) return [];
    const page: TransactionRecord[] = [];
    for (let i = list.length - 1; i >= 0 && page.length < query.limit; i--) {
      const record = list[i];
      const sequence = this.bySignature.get(record.tx.signature)!.sequence;
      if (until !== undefined && sequence <= until) break;
      if (before !== undefined && sequence >= before) continue;
      if (record.slot > query.maxSlot) continue;
      page.push(record);
    }
    return page;
  }
}
