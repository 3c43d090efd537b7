import { ComputeBudgetProgram, PublicKey, SystemProgram, TransactionMessage } from '@solana/web3.js';
import { Ed25519Keypair } from '@tessera/crypto';
import { RENT_EXEMPT_EPOCH, SYSTEM_PROGRAM_ID } from '../constants';
import { formatMemos } from '../encoding/memo';
import { AccountHistory, HistoricalAccount } from './account-history';
import { feeOf } from './fees';
import { Commitment, SlotClock, SlotClockSnapshot, SlotInfo } from './slot-clock';
import { AccountState, SimulationOutcome, Svm } from './svm';
import { collectTokenBalances } from './token-balances';
import { fieldlessError, TransactionError } from './transaction-error';
import { TransactionRecord, TransactionStore } from './transaction-store';
import { decodeTransaction, DecodedTransaction, lookupTableResolver } from './wire-transaction';

/** The SlotHashes sysvar holds the hashes of the last 512 slots on a cluster. */
const SLOT_HASHES_ENTRIES = 512;

/** The faucet behind requestAirdrop holds 500 million SOL. */
const FAUCET_LAMPORTS = 500_000_000n * 1_000_000_000n;

export interface BankOptions {
  /** Slots between a transaction's own and the root that finalizes it. */
  finalityDepth: number;
  /** Wall clock in ms, for block times. */
  now?: () => number;
}

/** What became of a transaction handed to the bank without preflight. */
export type ExecutionResult =
  | { landed: true; record: TransactionRecord }
  /** It failed before its fee could be taken (unfunded payer, bad signature): no block holds it. */
  | { landed: false; error: TransactionError };

/** What became of a transaction submitted as sendTransaction does, with or without preflight. */
export type SubmitResult =
  | ExecutionResult
  /** Preflight refused it; nothing was executed or recorded. */
  | { landed: false; rejected: true; error: TransactionError; simulation: SimulationOutcome | null };

export interface SignatureStatus {
  slot: number;
  /** Blocks built on top of it; null once rooted. */
  confirmations: number | null;
  err: TransactionError | null;
  confirmationStatus: Commitment;
}

/** The bank's own state besides LiteSVM's, for writing a ledger to disk. */
export interface BankState {
  genesisHash: string;
  faucetSecretKey: Uint8Array;
  clock: SlotClockSnapshot;
  transactions: Iterable<TransactionRecord>;
}

type Listener<T> = (value: T) => void;

/**
 * A single-node cluster over LiteSVM. Everything runs on the one JavaScript thread and every LiteSVM
 * call is synchronous, so each transaction executes alone between the checks that precede it and
 * the record that follows it: no locks are needed for exactly-once execution.
 */
export class Bank {
  private readonly history = new AccountHistory();
  private readonly transactionListeners = new Set<Listener<TransactionRecord>>();
  private readonly slotListeners = new Set<Listener<SlotInfo>>();

  private constructor(
    private readonly svm: Svm,
    readonly clock: SlotClock,
    private readonly store: TransactionStore,
    readonly genesisHash: string,
    private readonly faucet: Ed25519Keypair,
    private readonly now: () => number,
  ) {}

  static create(options: BankOptions): Bank {
    const svm = Svm.create();
    const faucet = Ed25519Keypair.generate();
    svm.setAccount(faucet.address, {
      lamports: FAUCET_LAMPORTS,
      data: Buffer.alloc(0),
      owner: SYSTEM_PROGRAM_ID,
      executable: false,
      rentEpoch: RENT_EXEMPT_EPOCH,
    });
    const bank = new Bank(
      svm,
      new SlotClock(options.finalityDepth),
      new TransactionStore(),
      svm.nextBlockhash(),
      faucet,
      options.now ?? Date.now,
    );
    // Build enough blocks that slot 0 is rooted and every commitment names a block.
    for (let slot = 0; slot <= options.finalityDepth; slot++) bank.advanceSlot();
    return bank;
  }

  /** A bank continuing a ledger written by {@link state} and LiteSVM's own snapshot. */
  static restore(svmBytes: Uint8Array, state: BankState, options: BankOptions): Bank {
    const store = new TransactionStore();
    for (const record of state.transactions) store.add(record);
    return new Bank(
      Svm.fromBytes(svmBytes),
      new SlotClock(options.finalityDepth, state.clock),
      store,
      state.genesisHash,
      Ed25519Keypair.fromSecretKey(state.faucetSecretKey),
      options.now ?? Date.now,
    );
  }

  state(): { svm: Uint8Array; bank: BankState } {
    return {
      svm: this.svm.toBytes(),
      bank: {
        genesisHash: this.genesisHash,
        faucetSecretKey: this.faucet.secretKey,
        clock: this.clock.toSnapshot(),
        transactions: this.store.all(),
      },
    };
  }

  get faucetAddress(): string {
    return this.faucet.address;
  }

  get transactionCount(): number {
    return this.store.count;
  }

  // ---- slots ---------------------------------------------------------------------------------

  /** Closes the current slot and opens the next one with a fresh blockhash. */
  advanceSlot(): SlotInfo {
    const time = Math.floor(this.now() / 1000);
    const info = this.clock.advance(this.svm.nextBlockhash(), time);
    this.svm.setClock(info.slot, this.clock.epochOf(info.slot).epoch, time);
    this.svm.setSlotHashes(this.clock.ancestors(SLOT_HASHES_ENTRIES));
    this.history.prune(this.clock.finalized);
    for (const listener of this.slotListeners) listener(info);
    return info;
  }

  onSlot(listener: Listener<SlotInfo>): () => void {
    this.slotListeners.add(listener);
    return () => this.slotListeners.delete(listener);
  }

  onTransaction(listener: Listener<TransactionRecord>): () => void {
    this.transactionListeners.add(listener);
    return () => this.transactionListeners.delete(listener);
  }

  // ---- accounts ------------------------------------------------------------------------------

  /** The account as of the slot at `commitment` (newer writes are not visible at lower commitments). */
  account(address: string, commitment: Commitment): AccountState | null {
    const live = this.svm.account(address);
    const slot = this.clock.slotAt(commitment);
    return slot >= this.clock.processed ? live : this.history.at(address, slot, live);
  }

  programAccounts(programId: string, commitment: Commitment): HistoricalAccount[] {
    const live = this.svm.programAccounts(programId);
    const slot = this.clock.slotAt(commitment);
    if (slot >= this.clock.processed) return live;
    const accounts: HistoricalAccount[] = [];
    const seen = new Set<string>();
    const consider = (address: string, current: AccountState | null) => {
      if (seen.has(address)) return;
      seen.add(address);
      const then = this.history.at(address, slot, current);
      if (then?.owner === programId) accounts.push({ address, account: then });
    };
    for (const { address, account } of live) consider(address, account);
    for (const address of this.history.writtenAfter(slot)) consider(address, this.svm.account(address));
    return accounts;
  }

  minimumBalanceForRentExemption(dataLength: number): bigint {
    return this.svm.minimumBalanceForRentExemption(dataLength);
  }

  // ---- transactions --------------------------------------------------------------------------

  /** Decodes and sanitizes wire bytes, resolving address-table lookups against current state. */
  decode(wire: Buffer): DecodedTransaction {
    return decodeTransaction(
      wire,
      lookupTableResolver((address) => this.svm.account(address)),
    );
  }

  /** The checks a leader makes before executing: a recent blockhash and a signature not seen before. */
  precheck(tx: DecodedTransaction): TransactionError | null {
    if (!this.clock.isBlockhashValid(tx.recentBlockhash)) return fieldlessError('BlockhashNotFound');
    if (this.store.has(tx.signature)) return fieldlessError('AlreadyProcessed');
    return null;
  }

  simulate(tx: DecodedTransaction, sigVerify: boolean): SimulationOutcome {
    return this.svm.simulate(tx.wire, tx.version, sigVerify);
  }

  /**
   * What an RPC node and the leader behind it do with a sent transaction. With preflight, it must
   * pass the age and duplicate checks and a simulation (signatures verified) or it is refused with
   * nothing changed. Without, a transaction failing those checks is dropped silently, as a leader
   * drops it, and one that fails while executing lands with its error and pays its fee.
   */
  submit(tx: DecodedTransaction, preflight: boolean): SubmitResult {
    const refused = this.precheck(tx);
    if (preflight) {
      if (refused) return { landed: false, rejected: true, error: refused, simulation: null };
      const simulation = this.simulate(tx, true);
      if (simulation.err) return { landed: false, rejected: true, error: simulation.err, simulation };
    } else if (refused) {
      return { landed: false, error: refused };
    }
    return this.execute(tx);
  }

  /**
   * Executes in the current slot and records the outcome. Callers run {@link precheck} first; a
   * transaction that fails after paying its fee is recorded with `err`, as on a real cluster.
   */
  execute(tx: DecodedTransaction): ExecutionResult {
    const slot = this.clock.processed;
    const load = (address: string) => this.svm.view(address);
    const before = tx.accountKeys.map(load);
    const preBalances = before.map((view) => view?.lamports ?? 0n);
    const preTokenBalances = collectTokenBalances(tx.accountKeys, before, load);
    const preImages = tx.accountKeys
      .map((address, index) => ({ address, index }))
      .filter(({ index }) => tx.writable[index])
      .map(({ address, index }) => ({ address, state: before[index]?.toState() ?? null }));

    const outcome = this.svm.execute(tx.wire, tx.version);

    const after = tx.accountKeys.map(load);
    const postBalances = after.map((view) => view?.lamports ?? 0n);
    if (outcome.err && postBalances[0] === preBalances[0]) return { landed: false, error: outcome.err };
    for (const { address, state } of preImages) this.history.remember(slot, address, state);
    const record: TransactionRecord = {
      tx,
      slot,
      blockTime: this.clock.block(slot)!.time,
      meta: {
        err: outcome.err,
        fee: feeOf(tx),
        preBalances,
        postBalances,
        preTokenBalances,
        postTokenBalances: collectTokenBalances(tx.accountKeys, after, load),
        logMessages: outcome.logs,
        innerInstructions: outcome.innerInstructions,
        computeUnitsConsumed: outcome.computeUnitsConsumed,
        returnData: outcome.returnData,
      },
      memo: formatMemos(tx.instructions, tx.accountKeys),
    };
    this.store.add(record);
    for (const listener of this.transactionListeners) listener(record);
    return { landed: true, record };
  }

  /** A real system transfer from the bank's faucet, through preflight, recorded like any other. */
  airdrop(address: string, lamports: bigint): SubmitResult {
    const payerKey = new PublicKey(this.faucet.address);
    for (let attempt = 0; ; attempt++) {
      const instructions = [
        SystemProgram.transfer({ fromPubkey: payerKey, toPubkey: new PublicKey(address), lamports }),
      ];
      // Two identical airdrops in one slot would be one transaction; a compute limit tells them apart.
      if (attempt > 0)
        instructions.push(ComputeBudgetProgram.setComputeUnitLimit({ units: 200_000 + attempt }));
      const message = new TransactionMessage({
        payerKey,
        recentBlockhash: this.clock.latestBlockhash('processed').blockhash,
        instructions,
      })
        .compileToLegacyMessage()
        .serialize();
      const tx = this.decode(Buffer.concat([Buffer.from([1]), this.faucet.sign(message), message]));
      if (!this.store.has(tx.signature)) return this.submit(tx, true);
    }
  }

  transaction(signature: string): TransactionRecord | undefined {
    return this.store.get(signature);
  }

  status(signature: string): SignatureStatus | null {
    const record = this.store.get(signature);
    if (!record) return null;
    const confirmationStatus = this.clock.commitmentOf(record.slot);
    return {
      slot: record.slot,
      confirmations: confirmationStatus === 'finalized' ? null : this.clock.processed - record.slot,
      err: record.meta.err,
      confirmationStatus,
    };
  }

  signaturesForAddress(
    address: string,
    query: { before?: string; until?: string; limit: number; commitment: Commitment },
  ): TransactionRecord[] {
    return this.store.signaturesForAddress(address, {
      ...query,
      maxSlot: this.clock.slotAt(query.commitment),
    });
  }
}
