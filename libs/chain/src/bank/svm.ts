// The only file that touches LiteSVM. It uses the napi binding (`litesvm/dist/internal`) rather than
// the `LiteSVM` wrapper because the wrapper speaks @solana/kit types: every call would re-encode the
// wire transaction we already hold, and its getAccount copies the data of 100 KB program accounts
// that we only need the balance of. litesvm is pinned to exactly 1.5.0, so the binding's shape is fixed.
import bs58 from 'bs58';
import {
  Account,
  FailedTransactionMetadata,
  LiteSvm,
  SimulatedTransactionInfo,
  TransactionMetadata,
} from 'litesvm/dist/internal';
import { toTransactionError, TransactionError } from './transaction-error';

export interface AccountState {
  lamports: bigint;
  data: Buffer;
  /** The owning program, base58. */
  owner: string;
  executable: boolean;
  rentEpoch: bigint;
}

export interface InnerInstructionRecord {
  programIdIndex: number;
  accounts: number[];
  data: Buffer;
  stackHeight: number;
}

/** What running a transaction produced, successful or not. */
export interface ExecutionOutcome {
  err: TransactionError | null;
  logs: string[];
  /** One list per top-level instruction, empty where it made no inner calls. */
  innerInstructions: InnerInstructionRecord[][];
  computeUnitsConsumed: number;
  returnData: { programId: string; data: Buffer } | null;
}

export interface SimulationOutcome extends ExecutionOutcome {
  /** The writable accounts after the simulated transaction; empty when it failed. */
  postAccounts: Map<string, AccountState>;
}

/** A LiteSVM account read lazily: the balance and owner without copying the data. */
export class AccountView {
  private cachedOwner?: string;
  private cachedData?: Buffer;

  constructor(private readonly account: Account) {}

  get lamports(): bigint {
    return this.account.lamports();
  }

  get owner(): string {
    return (this.cachedOwner ??= bs58.encode(this.account.owner()));
  }

  get executable(): boolean {
    return this.account.executable();
  }

  get data(): Buffer {
    return (this.cachedData ??= Buffer.from(this.account.data()));
  }

  toState(): AccountState {
    return {
      lamports: this.lamports,
      data: this.data,
      owner: this.owner,
      executable: this.executable,
      rentEpoch: this.account.rentEpoch(),
    };
  }
}

export class Svm {
  private constructor(private readonly inner: LiteSvm) {
    // The bank keeps its own window of recent blockhashes (LiteSVM only accepts its latest one) and
    // its own record of signatures: LiteSVM's history also remembers transactions that failed before
    // paying a fee, which a cluster never saw and would accept when resent.
    inner.setBlockhashCheck(false);
    inner.setTransactionHistory(0n);
  }

  /** LiteSVM with the standard builtins, sysvars and SPL programs (Token, Token-2022, ATA, Memo v1/v3). */
  static create(): Svm {
    return new Svm(new LiteSvm());
  }

  static fromBytes(bytes: Uint8Array): Svm {
    return new Svm(LiteSvm.fromBytes(bytes));
  }

  toBytes(): Uint8Array {
    return this.inner.toBytes();
  }

  view(address: string): AccountView | null {
    const account = this.inner.getAccount(bs58.decode(address));
    return account ? new AccountView(account) : null;
  }

  account(address: string): AccountState | null {
    return this.view(address)?.toState() ?? null;
  }

  lamports(address: string): bigint {
    return this.inner.getBalance(bs58.decode(address)) ?? 0n;
  }

  programAccounts(programId: string): Array<{ address: string; account: AccountState }> {
    return this.inner.getProgramAccounts(bs58.decode(programId)).map((entry) => ({
      address: bs58.encode(entry.address),
      account: new AccountView(entry.account()).toState(),
    }));
  }

  setAccount(address: string, state: AccountState): void {
    this.inner.setAccount(
      bs58.decode(address),
      new Account(state.lamports, state.data, bs58.decode(state.owner), state.executable, state.rentEpoch),
    );
  }

  /** Executes and commits (fee included when it fails after loading, as a cluster does). */
  execute(wire: Uint8Array, version: 'legacy' | 0): ExecutionOutcome {
    const result =
      version === 'legacy'
        ? this.inner.sendLegacyTransaction(wire)
        : this.inner.sendVersionedTransaction(wire);
    return outcomeOf(result);
  }

  /** Executes against the current state without committing anything. */
  simulate(wire: Uint8Array, version: 'legacy' | 0, sigVerify: boolean): SimulationOutcome {
    const previous = this.inner.getSigverify();
    this.inner.setSigverify(sigVerify);
    try {
      const result =
        version === 'legacy'
          ? this.inner.simulateLegacyTransaction(wire)
          : this.inner.simulateVersionedTransaction(wire);
      if (result instanceof SimulatedTransactionInfo) {
        const postAccounts = new Map<string, AccountState>();
        for (const entry of result.postAccounts()) {
          postAccounts.set(bs58.encode(entry.address), new AccountView(entry.account()).toState());
        }
        return { ...outcomeOf(result.meta()), postAccounts };
      }
      return { ...outcomeOf(result), postAccounts: new Map() };
    } finally {
      this.inner.setSigverify(previous);
    }
  }

  /** Moves the Clock sysvar to `slot` so programs see the slot and time the bank reports. */
  setClock(slot: number, epoch: number, unixTimestamp: number): void {
    const clock = this.inner.getClock();
    clock.slot = BigInt(slot);
    clock.epoch = BigInt(epoch);
    clock.unixTimestamp = BigInt(unixTimestamp);
    this.inner.setClock(clock);
  }

  /**
   * Fills the SlotHashes sysvar (newest first). Programs read it: the address-lookup-table program
   * only creates a table for a slot it lists.
   */
  setSlotHashes(blocks: Array<{ slot: number; blockhash: string }>): void {
    this.inner.setSlotHashes(blocks.map(({ slot, blockhash }) => ({ slot: BigInt(slot), hash: blockhash })));
  }

  /** A fresh blockhash for a new slot. */
  nextBlockhash(): string {
    this.inner.expireBlockhash();
    return this.inner.latestBlockhash();
  }

  minimumBalanceForRentExemption(dataLength: number): bigint {
    return this.inner.minimumBalanceForRentExemption(BigInt(dataLength));
  }
}

function outcomeOf(result: TransactionMetadata | FailedTransactionMetadata): ExecutionOutcome {
  const failed = result instanceof FailedTransactionMetadata;
  const meta = failed ? result.meta() : result;
  const returned = meta.returnData();
  const returnedData = Buffer.from(returned.data());
  return {
    err: failed ? toTransactionError(result) : null,
    logs: meta.logs(),
    innerInstructions: meta.innerInstructions().map((list) =>
      list.map((inner) => {
        const instruction = inner.instruction();
        return {
          programIdIndex: instruction.programIdIndex(),
          accounts: [...instruction.accounts()],
          data: Buffer.from(instruction.data()),
          stackHeight: inner.stackHeight(),
        };
      }),
    ),
    computeUnitsConsumed: Number(meta.computeUnitsConsumed()),
    returnData:
      returnedData.length > 0 ? { programId: bs58.encode(returned.programId()), data: returnedData } : null,
  };
}
