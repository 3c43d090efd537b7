import {
  AddressLookupTableAccount,
  MessageAddressTableLookup,
  PublicKey,
  VersionedTransaction,
} from '@solana/web3.js';
import bs58 from 'bs58';
import { ADDRESS_LOOKUP_TABLE_PROGRAM_ID, PACKET_DATA_SIZE } from '../constants';
import { AccountState } from './svm';
import { fieldlessError, TransactionError } from './transaction-error';

export interface CompiledInstructionRecord {
  programIdIndex: number;
  accounts: number[];
  data: Buffer;
}

export interface LoadedAddresses {
  writable: string[];
  readonly: string[];
}

export interface AddressTableLookupRecord {
  accountKey: string;
  writableIndexes: number[];
  readonlyIndexes: number[];
}

/** A wire transaction, sanitized and with its address-table lookups resolved. */
export interface DecodedTransaction {
  wire: Buffer;
  version: 'legacy' | 0;
  /** The first signature: the transaction's id. */
  signature: string;
  signatures: string[];
  header: {
    numRequiredSignatures: number;
    numReadonlySignedAccounts: number;
    numReadonlyUnsignedAccounts: number;
  };
  staticAccountKeys: string[];
  recentBlockhash: string;
  instructions: CompiledInstructionRecord[];
  addressTableLookups: AddressTableLookupRecord[];
  loadedAddresses: LoadedAddresses;
  /** Static keys, then loaded writable, then loaded read-only: what instruction indexes point into. */
  accountKeys: string[];
  writable: boolean[];
  signer: boolean[];
}

/** A transaction the node cannot even decode or sanitize; the RPC answers -32602. */
export class MalformedTransactionError extends Error {}

/** A well-formed transaction that fails before execution (e.g. a missing lookup table). */
export class TransactionFailure extends Error {
  constructor(readonly error: TransactionError) {
    super(error.message);
  }
}

/** Resolves one lookup to addresses: from the table account, or from what a record stored. */
export type LookupResolver = (lookup: AddressTableLookupRecord) => LoadedAddresses;

export function decodeTransaction(wire: Buffer, resolve: LookupResolver): DecodedTransaction {
  if (wire.length > PACKET_DATA_SIZE) {
    throw new MalformedTransactionError(
      `transaction too large: ${wire.length} bytes (max: encoded/raw ${Math.ceil(PACKET_DATA_SIZE / 3) * 4}/${PACKET_DATA_SIZE})`,
    );
  }
  let transaction: VersionedTransaction;
  try {
    transaction = VersionedTransaction.deserialize(wire);
  } catch (error) {
    throw new MalformedTransactionError(
      `failed to deserialize solana_transaction::versioned::VersionedTransaction: ${(error as Error).message}`,
    );
  }
  const { message } = transaction;
  const version = message.version;
  if (version !== 'legacy' && version !== 0) {
    throw new MalformedTransactionError(
      `invalid transaction: ${fieldlessError('UnsupportedVersion').message}`,
    );
  }
  const header = { ...message.header };
  const staticAccountKeys = message.staticAccountKeys.map((key) => key.toBase58());
  if (transaction.signatures.length !== header.numRequiredSignatures || header.numRequiredSignatures === 0) {
    throw new MalformedTransactionError(`invalid transaction: ${fieldlessError('SanitizeFailure').message}`);
  }
  const addressTableLookups = message.addressTableLookups.map((lookup: MessageAddressTableLookup) => ({
    accountKey: lookup.accountKey.toBase58(),
    writableIndexes: [...lookup.writableIndexes],
    readonlyIndexes: [...lookup.readonlyIndexes],
  }));
  const loadedAddresses: LoadedAddresses = { writable: [], readonly: [] };
  for (const lookup of addressTableLookups) {
    const loaded = resolve(lookup);
    loadedAddresses.writable.push(...loaded.writable);
    loadedAddresses.readonly.push(...loaded.readonly);
  }
  const accountKeys = [...staticAccountKeys, ...loadedAddresses.writable, ...loadedAddresses.readonly];
  const instructions = message.compiledInstructions.map((instruction) => ({
    programIdIndex: instruction.programIdIndex,
    accounts: [...instruction.accountKeyIndexes],
    data: Buffer.from(instruction.data),
  }));
  const outOfRange = (index: number) => index >= accountKeys.length;
  if (instructions.some((ix) => outOfRange(ix.programIdIndex) || ix.accounts.some(outOfRange))) {
    throw new MalformedTransactionError(`invalid transaction: ${fieldlessError('SanitizeFailure').message}`);
  }
  const invokedPrograms = new Set(instructions.map((ix) => ix.programIdIndex));
  const staticCount = staticAccountKeys.length;
  const writable = accountKeys.map((_, index) => {
    // A program the transaction invokes is loaded read-only, whatever the header says (Agave demotes it).
    if (invokedPrograms.has(index)) return false;
    if (index >= staticCount) return index < staticCount + loadedAddresses.writable.length;
    if (index < header.numRequiredSignatures) {
      return index < header.numRequiredSignatures - header.numReadonlySignedAccounts;
    }
    return index < staticCount - header.numReadonlyUnsignedAccounts;
  });
  const signatures = transaction.signatures.map((signature) => bs58.encode(signature));
  return {
    wire,
    version,
    signature: signatures[0],
    signatures,
    header,
    staticAccountKeys,
    recentBlockhash: message.recentBlockhash,
    instructions,
    addressTableLookups,
    loadedAddresses,
    accountKeys,
    writable,
    signer: accountKeys.map((_, index) => index < header.numRequiredSignatures),
  };
}

/** The first signature of wire bytes that may not resolve (a compact-u16 count, then 64-byte signatures). */
export function firstSignature(wire: Buffer): string {
  const countBytes = wire[0] & 0x80 ? (wire[1] & 0x80 ? 3 : 2) : 1;
  return bs58.encode(wire.subarray(countBytes, countBytes + 64));
}

/** Resolves lookups against live address-lookup-table accounts, failing as the runtime does. */
export function lookupTableResolver(load: (address: string) => AccountState | null): LookupResolver {
  return (lookup) => {
    const account = load(lookup.accountKey);
    if (!account) throw new TransactionFailure(fieldlessError('AddressLookupTableNotFound'));
    if (account.owner !== ADDRESS_LOOKUP_TABLE_PROGRAM_ID) {
      throw new TransactionFailure(fieldlessError('InvalidAddressLookupTableOwner'));
    }
    let addresses: PublicKey[];
    try {
      addresses = AddressLookupTableAccount.deserialize(account.data).addresses;
    } catch {
      throw new TransactionFailure(fieldlessError('InvalidAddressLookupTableData'));
    }
    const pick = (index: number) => {
      const address = addresses[index];
      if (!address) throw new TransactionFailure(fieldlessError('InvalidAddressLookupTableIndex'));
      return address.toBase58();
    };
    return { writable: lookup.writableIndexes.map(pick), readonly: lookup.readonlyIndexes.map(pick) };
  };
}

/** For records read back from disk: the addresses the transaction loaded when it ran. */
export function storedLookupResolver(loaded: LoadedAddresses): LookupResolver {
  let writableAt = 0;
  let readonlyAt = 0;
  return (lookup) => {
    const writable = loaded.writable.slice(writableAt, writableAt + lookup.writableIndexes.length);
    const readonly = loaded.readonly.slice(readonlyAt, readonlyAt + lookup.readonlyIndexes.length);
    writableAt += writable.length;
    readonlyAt += readonly.length;
    return { writable, readonly };
  };
}
