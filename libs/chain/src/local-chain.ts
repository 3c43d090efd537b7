import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  Commitment,
  Connection,
  Keypair,
  PublicKey,
  Signer,
  SystemProgram,
  TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { Bank } from './bank/bank';
import { loadLedger, saveLedger } from './bank/ledger-file';
import { Commitment as ChainCommitment } from './bank/slot-clock';
import { decodeMint } from './encoding/token-layout';
import { PubSubServer } from './pubsub/pubsub-server';
import { accountMethods } from './rpc/account-methods';
import { clusterMethods } from './rpc/cluster-methods';
import { historyMethods } from './rpc/history-methods';
import { createRpcHttpServer, RpcDispatcher } from './rpc/rpc-server';
import { transactionMethods } from './rpc/transaction-methods';
import { splToken } from './spl-token';

const {
  createAssociatedTokenAccountIdempotentInstruction,
  createInitializeMint2Instruction,
  createMintToCheckedInstruction,
  getAssociatedTokenAddressSync,
  MINT_SIZE,
  TOKEN_PROGRAM_ID,
} = splToken;

export interface LocalChainOptions {
  /** HTTP JSON-RPC port; PubSub listens on port + 1. 0 or absent picks a free pair. */
  port?: number;
  host?: string;
  /** Slot length in ms (default 400, as on devnet). */
  slotMs?: number;
  /** Slots from a transaction's own to the root that finalizes it (default 2; devnet's is about 32). */
  finalityDepth?: number;
  /**
   * Keep the ledger (accounts, transactions, slots) in this directory across restarts: it is loaded
   * at start, saved every `saveEveryMs` when transactions landed, and on stop. Without it the chain
   * starts empty every time.
   */
  ledgerDir?: string;
  /** Default 5,000. */
  saveEveryMs?: number;
  /** Called once with anything unexpected (a bug, not a refused transaction); default console.error. */
  onError?: (error: unknown, context: string) => void;
}

/** A helper transaction the chain refused; `logs` are the program logs of the failed simulation. */
export class LocalChainError extends Error {
  constructor(
    message: string,
    readonly logs: string[],
  ) {
    super(logs.length > 0 ? `${message}\n${logs.join('\n')}` : message);
  }
}

const HELPER_PAYER_LAMPORTS = 1_000n * 1_000_000_000n;

/**
 * A local Solana cluster: LiteSVM executing the real SPL programs behind Solana's JSON-RPC (HTTP) and
 * PubSub (WebSocket, port + 1) APIs, so an ordinary web3.js `Connection` talks to it as to devnet.
 */
export class LocalChain {
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private savedTransactionCount: number;

  private constructor(
    private readonly bank: Bank,
    private readonly rpcServer: Server,
    private readonly wsServer: Server,
    private readonly pubsub: PubSubServer,
    readonly rpcUrl: string,
    readonly wsUrl: string,
    /** Pays the fees and rent of the helper methods' transactions. */
    private readonly payer: Keypair,
    /** Whether the chain continued a ledger from `ledgerDir` rather than starting empty. */
    readonly restored: boolean,
    private readonly options: LocalChainOptions & { onError: (error: unknown, context: string) => void },
  ) {
    this.savedTransactionCount = restored ? bank.transactionCount : -1;
    this.every(options.slotMs ?? 400, 'advancing the slot', () => bank.advanceSlot());
    if (options.ledgerDir) {
      this.every(options.saveEveryMs ?? 5000, 'saving the ledger', () => {
        if (bank.transactionCount !== this.savedTransactionCount) this.save();
      });
    }
  }

  /** @internal use {@link startLocalChain} */
  static async start(options: LocalChainOptions): Promise<LocalChain> {
    const host = options.host ?? '127.0.0.1';
    const onError = options.onError ?? ((error, context) => console.error(`local chain: ${context}`, error));
    const bankOptions = { finalityDepth: options.finalityDepth ?? 2 };
    const loaded = options.ledgerDir ? loadLedger(options.ledgerDir, bankOptions) : null;
    const bank = loaded ?? Bank.create(bankOptions);
    const dispatcher = new RpcDispatcher(
      {
        ...clusterMethods(bank),
        ...accountMethods(bank),
        ...transactionMethods(bank),
        ...historyMethods(bank),
      },
      (error, method) => onError(error, `handling ${method}`),
    );
    const rpcServer = createRpcHttpServer(dispatcher);
    const wsServer = createServer();
    const port = await listenOnPair(rpcServer, wsServer, host, options.port ?? 0);
    const pubsub = PubSubServer.attach(bank, wsServer);
    const payer = Keypair.generate();
    bank.airdrop(payer.publicKey.toBase58(), HELPER_PAYER_LAMPORTS);
    return new LocalChain(
      bank,
      rpcServer,
      wsServer,
      pubsub,
      `http://${host}:${port}`,
      `ws://${host}:${port + 1}`,
      payer,
      loaded !== null,
      { ...options, onError },
    );
  }

  /** A web3.js connection to this chain (HTTP and WebSocket), `confirmed` unless told otherwise. */
  connection(commitment: Commitment = 'confirmed'): Connection {
    return new Connection(this.rpcUrl, { commitment, wsEndpoint: this.wsUrl });
  }

  /** The slot at a commitment level. */
  slot(commitment: ChainCommitment = 'processed'): number {
    return this.bank.clock.slotAt(commitment);
  }

  /** Produces `count` slots now instead of waiting for the timer. */
  advanceSlots(count = 1): void {
    for (let i = 0; i < count; i++) this.bank.advanceSlot();
  }

  /** Holds the root where it is: transactions reach `confirmed` but not `finalized` until resumed. */
  pauseFinality(): void {
    this.bank.clock.holdFinality();
  }

  resumeFinality(): void {
    this.bank.clock.releaseFinality();
  }

  /** Holds confirmation (and so finality): new transactions stay `processed` until resumed. */
  pauseConfirmation(): void {
    this.bank.clock.holdConfirmation();
  }

  resumeConfirmation(): void {
    this.bank.clock.releaseConfirmation();
  }

  /** Sends lamports from the faucet in a real transaction; returns its signature. */
  async airdrop(to: PublicKey | string, lamports: number | bigint): Promise<string> {
    const result = this.bank.airdrop(new PublicKey(to).toBase58(), BigInt(lamports));
    if (!result.landed) throw new LocalChainError(`airdrop failed: ${result.error.message}`, []);
    return result.record.tx.signature;
  }

  /** Creates an SPL Token mint; the authority is generated when not given. */
  async createMint(options: {
    decimals: number;
    authority?: Keypair;
    freezeAuthority?: PublicKey | null;
    mint?: Keypair;
  }): Promise<{ mint: PublicKey; authority: Keypair }> {
    const mint = options.mint ?? Keypair.generate();
    const authority = options.authority ?? Keypair.generate();
    const rent = this.bank.minimumBalanceForRentExemption(MINT_SIZE);
    await this.send(
      [
        SystemProgram.createAccount({
          fromPubkey: this.payer.publicKey,
          newAccountPubkey: mint.publicKey,
          lamports: Number(rent),
          space: MINT_SIZE,
          programId: TOKEN_PROGRAM_ID,
        }),
        createInitializeMint2Instruction(
          mint.publicKey,
          options.decimals,
          authority.publicKey,
          options.freezeAuthority ?? null,
        ),
      ],
      [mint],
    );
    return { mint: mint.publicKey, authority };
  }

  /** The owner's associated token account for `mint`, created (idempotently) when missing. */
  async createAssociatedTokenAccount(mint: PublicKey, owner: PublicKey): Promise<PublicKey> {
    const address = getAssociatedTokenAddressSync(mint, owner, true);
    await this.send(
      [createAssociatedTokenAccountIdempotentInstruction(this.payer.publicKey, address, owner, mint)],
      [],
    );
    return address;
  }

  /** Mints `amount` base units to the owner's associated token account, creating it when missing. */
  async mintTo(options: {
    mint: PublicKey;
    owner: PublicKey;
    amount: number | bigint;
    authority: Keypair;
  }): Promise<{ tokenAccount: PublicKey; signature: string }> {
    const mintState = this.bank.account(options.mint.toBase58(), 'processed');
    const decimals = mintState && decodeMint(mintState.data)?.decimals;
    if (decimals === null || decimals === undefined) {
      throw new LocalChainError(`${options.mint.toBase58()} is not a mint`, []);
    }
    const tokenAccount = getAssociatedTokenAddressSync(options.mint, options.owner, true);
    const signature = await this.send(
      [
        createAssociatedTokenAccountIdempotentInstruction(
          this.payer.publicKey,
          tokenAccount,
          options.owner,
          options.mint,
        ),
        createMintToCheckedInstruction(
          options.mint,
          tokenAccount,
          options.authority.publicKey,
          BigInt(options.amount),
          decimals,
        ),
      ],
      [options.authority],
    );
    return { tokenAccount, signature };
  }

  /** Writes the ledger to `ledgerDir` now (it is also saved periodically and on stop). */
  save(): void {
    if (!this.options.ledgerDir) throw new LocalChainError('this chain has no ledgerDir to save to', []);
    saveLedger(this.options.ledgerDir, this.bank);
    this.savedTransactionCount = this.bank.transactionCount;
  }

  /** Stops serving; with a `ledgerDir`, saves the ledger first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.options.ledgerDir) this.save();
    await this.pubsub.close();
    for (const server of [this.rpcServer, this.wsServer]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private every(ms: number, what: string, work: () => void): void {
    const timer = setInterval(() => {
      try {
        work();
      } catch (error) {
        this.options.onError(error, what);
      }
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Runs a helper transaction through preflight; throws with the logs when it is refused. */
  private async send(instructions: TransactionInstruction[], signers: Signer[]): Promise<string> {
    const message = new TransactionMessage({
      payerKey: this.payer.publicKey,
      recentBlockhash: this.bank.clock.latestBlockhash('processed').blockhash,
      instructions,
    }).compileToLegacyMessage();
    const transaction = new VersionedTransaction(message);
    transaction.sign([this.payer, ...signers]);
    const result = this.bank.submit(this.bank.decode(Buffer.from(transaction.serialize())), true);
    if ('rejected' in result) {
      throw new LocalChainError(
        `transaction refused: ${result.error.message}`,
        result.simulation?.logs ?? [],
      );
    }
    if (!result.landed) throw new LocalChainError(`transaction dropped: ${result.error.message}`, []);
    if (result.record.meta.err) {
      throw new LocalChainError(
        `transaction failed: ${result.record.meta.err.message}`,
        result.record.meta.logMessages,
      );
    }
    return result.record.tx.signature;
  }
}

export function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  return LocalChain.start(options);
}

/** Listens on `port` and `port + 1`; with port 0, retries until it finds a free consecutive pair. */
async function listenOnPair(rpc: Server, ws: Server, host: string, port: number): Promise<number> {
  if (port !== 0) {
    await listen(rpc, port, host);
    await listen(ws, port + 1, host).catch(async (error: unknown) => {
      await close(rpc);
      throw error;
    });
    return port;
  }
  for (let attempt = 0; ; attempt++) {
    await listen(rpc, 0, host);
    const chosen = (rpc.address() as AddressInfo).port;
    try {
      await listen(ws, chosen + 1, host);
      return chosen;
    } catch (error) {
      await close(rpc);
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
