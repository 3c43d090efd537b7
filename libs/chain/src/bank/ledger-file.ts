import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bank, BankOptions } from './bank';
import { SlotClockSnapshot } from './slot-clock';
import { TokenBalance, TransactionRecord } from './transaction-store';
import { decodeTransaction, LoadedAddresses, storedLookupResolver } from './wire-transaction';

const FILE = 'ledger.json';
const FORMAT = 1;

// One JSON file holds LiteSVM's snapshot and the bank's own state, so that a rename makes each save
// atomic: a crash leaves the previous ledger, never half of a new one.

interface StoredTokenBalance extends Omit<TokenBalance, 'amount'> {
  amount: string;
}

interface StoredTransaction {
  wire: string;
  loadedAddresses: LoadedAddresses;
  slot: number;
  blockTime: number;
  memo: string | null;
  meta: {
    err: TransactionRecord['meta']['err'];
    fee: string;
    preBalances: string[];
    postBalances: string[];
    preTokenBalances: StoredTokenBalance[];
    postTokenBalances: StoredTokenBalance[];
    logMessages: string[];
    innerInstructions: Array<
      Array<{ programIdIndex: number; accounts: number[]; data: string; stackHeight: number }>
    >;
    computeUnitsConsumed: number;
    returnData: { programId: string; data: string } | null;
  };
}

interface LedgerFile {
  format: number;
  svm: string;
  genesisHash: string;
  faucetSecretKey: number[];
  clock: SlotClockSnapshot;
  transactions: StoredTransaction[];
}

/** Writes the bank to `<dir>/ledger.json`, replacing the previous save atomically. */
export function saveLedger(dir: string, bank: Bank): void {
  const { svm, bank: state } = bank.state();
  const file: LedgerFile = {
    format: FORMAT,
    svm: Buffer.from(svm).toString('base64'),
    genesisHash: state.genesisHash,
    faucetSecretKey: [...state.faucetSecretKey],
    clock: state.clock,
    transactions: [...state.transactions].map(storeTransaction),
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(file));
  renameSync(`${path}.tmp`, path);
}

/** The bank saved in `dir`, or null when there is none yet. */
export function loadLedger(dir: string, options: BankOptions): Bank | null {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const file = JSON.parse(text) as LedgerFile;
  if (file.format !== FORMAT) {
    throw new Error(`${join(dir, FILE)} has ledger format ${file.format}; this version reads ${FORMAT}`);
  }
  return Bank.restore(
    Buffer.from(file.svm, 'base64'),
    {
      genesisHash: file.genesisHash,
      faucetSecretKey: Uint8Array.from(file.faucetSecretKey),
      clock: file.clock,
      transactions: file.transactions.map(restoreTransaction),
    },
    options,
  );
}

function storeTransaction(record: TransactionRecord): StoredTransaction {
  const { meta } = record;
  const storeBalance = ({ amount, ...rest }: TokenBalance) => ({ ...rest, amount: amount.toString() });
  return {
    wire: record.tx.wire.toString('base64'),
    loadedAddresses: record.tx.loadedAddresses,
    slot: record.slot,
    blockTime: record.blockTime,
    memo: record.memo,
    meta: {
      err: meta.err,
      fee: meta.fee.toString(),
      preBalances: meta.preBalances.map(String),
      postBalances: meta.postBalances.map(String),
      preTokenBalances: meta.preTokenBalances.map(storeBalance),
      postTokenBalances: meta.postTokenBalances.map(storeBalance),
      logMessages: meta.logMessages,
      innerInstructions: meta.innerInstructions.map((list) =>
        list.map((ix) => ({ ...ix, data: ix.data.toString('base64') })),
      ),
      computeUnitsConsumed: meta.computeUnitsConsumed,
      returnData: meta.returnData && {
        programId: meta.returnData.programId,
        data: meta.returnData.data.toString('base64'),
      },
    },
  };
}

function restoreTransaction(stored: StoredTransaction): TransactionRecord {
  const { meta } = stored;
  const restoreBalance = ({ amount, ...rest }: StoredTokenBalance) => ({ ...rest, amount: BigInt(amount) });
  return {
    tx: decodeTransaction(Buffer.from(stored.wire, 'base64'), storedLookupResolver(stored.loadedAddresses)),
    slot: stored.slot,
    blockTime: stored.blockTime,
    memo: stored.memo,
    meta: {
      err: meta.err,
      fee: BigInt(meta.fee),
      preBalances: meta.preBalances.map(BigInt),
      postBalances: meta.postBalances.map(BigInt),
      preTokenBalances: meta.preTokenBalances.map(restoreBalance),
      postTokenBalances: meta.postTokenBalances.map(restoreBalance),
      logMessages: meta.logMessages,
      innerInstructions: meta.innerInstructions.map((list) =>
        list.map((ix) => ({ ...ix, data: Buffer.from(ix.data, 'base64') })),
      ),
      computeUnitsConsumed: meta.computeUnitsConsumed,
      returnData: meta.returnData && {
        programId: meta.returnData.programId,
        data: Buffer.from(meta.returnData.data, 'base64'),
      },
    },
  };
}
