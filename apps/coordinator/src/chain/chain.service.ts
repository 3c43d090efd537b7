import { Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  LAMPORTS_PER_SOL,
  ParsedTransactionWithMeta,
  PublicKey,
  SendTransactionError,
  SignatureStatus,
  Transaction,
  TransactionInstruction,
} from '@solana/web3.js';
import bs58 from 'bs58';
import { LocalChain, splToken } from '@tessera/chain';
import { AppError } from '../common/app-error';
import type { ChainSettings, Cluster } from '../config/chain-config';
import { ChainParts, connectChain } from './chain-connection';

/** A transaction signed by the treasury, not yet sent: everything needed to send it again verbatim. */
export interface SignedTransaction {
  signature: string;
  /** The wire bytes; re-sending them can only land the same signature, once. */
  wire: Buffer;
  blockhash: string;
  /** After the cluster's finalized block height passes this, the transaction can never land. */
  lastValidBlockHeight: number;
}

/** What a finalized transaction cost the treasury, in lamports. */
export interface TransactionCost {
  fee: bigint;
  /** Lamports the treasury spent besides the fee: rent of the accounts the transaction created. */
  rent: bigint;
  slot: number;
}

/**
 * The one place that talks to Solana: owns the RPC connection (or the embedded local chain), the
 * treasury keypair, the mint and the treasury's token account. Reads return chain data as is;
 * deciding what it means (is this a deposit? is this payout final?) belongs to the callers.
 * Request-path reads turn an RPC failure into CHAIN_UNAVAILABLE.
 */
export class ChainService implements OnApplicationShutdown {
  private readonly logger = new Logger('Chain');

  private constructor(private readonly parts: ChainParts) {}

  static async connect(settings: ChainSettings): Promise<ChainService> {
    return new ChainService(await connectChain(settings));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.parts.embedded?.stop();
  }

  get cluster(): Cluster {
    return this.parts.cluster;
  }
  get rpcUrl(): string {
    return this.parts.rpcUrl;
  }
  get mint(): PublicKey {
    return this.parts.mint;
  }
  get decimals(): number {
    return this.parts.decimals;
  }
  get tokenProgram(): PublicKey {
    return this.parts.tokenProgram;
  }
  get treasury(): PublicKey {
    return this.parts.treasury.publicKey;
  }
  get treasuryTokenAccount(): PublicKey {
    return this.parts.treasuryTokenAccount;
  }
  /** The chain this process runs (tests pause its finality, expire blockhashes); null on a real cluster. */
  get embedded(): LocalChain | null {
    return this.parts.embedded;
  }
  /** Whether requestTestTokens can mint: the local cluster, with the mint authority at hand. */
  get canMintTestTokens(): boolean {
    return this.parts.cluster === 'local' && this.parts.mintAuthority !== null;
  }

  /** The Solana Explorer page of a transaction on devnet or mainnet; null on the local cluster. */
  explorerUrl(signature: string): string | null {
    switch (this.parts.cluster) {
      case 'devnet':
        return `https://explorer.solana.com/tx/${signature}?cluster=devnet`;
      case 'mainnet-beta':
        return `https://explorer.solana.com/tx/${signature}`;
      case 'local':
        return null;
    }
  }

  /** An owner's associated token account for the mint (whether or not it exists yet). */
  tokenAccountOf(owner: PublicKey): PublicKey {
    return splToken.getAssociatedTokenAddressSync(this.mint, owner, true, this.tokenProgram);
  }

  // Reads ---------------------------------------------------------------------------------------------

  /** Statuses of up to 256 signatures, searching history too; null where the cluster has none. */
  async signatureStatuses(signatures: string[]): Promise<(SignatureStatus | null)[]> {
    const out: (SignatureStatus | null)[] = [];
    for (let i = 0; i < signatures.length; i += 256) {
      const { value } = await this.rpc(() =>
        this.parts.connection.getSignatureStatuses(signatures.slice(i, i + 256), {
          searchTransactionHistory: true,
        }),
      );
      out.push(...value);
    }
    return out;
  }

  /** A finalized transaction, parsed (jsonParsed); null when not found at that commitment. */
  async finalizedTransaction(signature: string): Promise<ParsedTransactionWithMeta | null> {
    return this.rpc(() =>
      this.parts.connection.getParsedTransaction(signature, {
        commitment: 'finalized',
        maxSupportedTransactionVersion: 0,
      }),
    );
  }

  /** The block height of the newest finalized block. */
  async finalizedBlockHeight(): Promise<number> {
    return this.rpc(() => this.parts.connection.getBlockHeight('finalized'));
  }

  /** Which of these accounts exist (at `confirmed`). */
  async existingAccounts(addresses: PublicKey[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < addresses.length; i += 100) {
      const chunk = addresses.slice(i, i + 100);
      const infos = await this.rpc(() => this.parts.connection.getMultipleAccountsInfo(chunk, 'confirmed'));
      infos.forEach((info, j) => {
        if (info) found.add(chunk[j].toBase58());
      });
    }
    return found;
  }

  /** Base units in a token account (0 when it does not exist), at `confirmed`. */
  async tokenBalance(account: PublicKey): Promise<bigint> {
    const info = await this.rpc(() => this.parts.connection.getAccountInfo(account, 'confirmed'));
    return info ? splToken.unpackAccount(account, info, this.tokenProgram).amount : 0n;
  }

  /** What a finalized transaction cost the treasury, read from its balances: fee, and rent besides. */
  costOf(tx: ParsedTransactionWithMeta): TransactionCost {
    const meta = tx.meta;
    const index = tx.transaction.message.accountKeys.findIndex((k) => k.pubkey.equals(this.treasury));
    const fee = BigInt(meta?.fee ?? 0);
    const spent =
      index >= 0 && meta ? BigInt(meta.preBalances[index]) - BigInt(meta.postBalances[index]) : fee;
    return { fee, rent: spent > fee ? spent - fee : 0n, slot: tx.slot };
  }

  // Writes --------------------------------------------------------------------------------------------

  /**
   * Builds a legacy transaction paid and signed by the treasury (and `cosigners`) on a fresh
   * `confirmed` blockhash. Throws if it does not fit in one packet (1,232 bytes).
   */
  async signAsTreasury(
    instructions: TransactionInstruction[],
    cosigners: { publicKey: PublicKey; secretKey: Uint8Array }[] = [],
  ): Promise<SignedTransaction> {
    const { blockhash, lastValidBlockHeight } = await this.rpc(() =>
      this.parts.connection.getLatestBlockhash('confirmed'),
    );
    const tx = new Transaction({ feePayer: this.treasury, blockhash, lastValidBlockHeight }).add(
      ...instructions,
    );
    tx.sign(this.parts.treasury, ...cosigners);
    return {
      signature: bs58.encode(tx.signature as Buffer),
      wire: tx.serialize(),
      blockhash,
      lastValidBlockHeight,
    };
  }

  /**
   * Sends signed wire bytes (with preflight). Sending the same bytes again is harmless: a signature
   * executes at most once, and "already processed" counts as sent. Returns the preflight error
   * message when the cluster refused the transaction (it was then not forwarded), else null.
   */
  async sendSigned(wire: Buffer): Promise<string | null> {
    try {
      await this.parts.connection.sendRawTransaction(wire, {
        preflightCommitment: 'confirmed',
        maxRetries: 5,
      });
      return null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/already been processed/i.test(message)) return null;
      if (error instanceof SendTransactionError) return message;
      throw new AppError(
        'CHAIN_UNAVAILABLE',
        `the Solana RPC at ${this.rpcUrl} did not take the transaction: ${message}`,
      );
    }
  }

  /** Local cluster: lamports from the faucet (requestAirdrop). */
  async airdrop(to: PublicKey, sol: number): Promise<string> {
    return this.rpc(() => this.parts.connection.requestAirdrop(to, Math.round(sol * LAMPORTS_PER_SOL)));
  }

  /**
   * Local cluster: mints `amount` base units to the owner's token account (created if missing), in
   * one transaction the treasury pays and the mint authority signs.
   */
  async mintTestTokens(
    owner: PublicKey,
    amount: bigint,
  ): Promise<{ signature: string; tokenAccount: PublicKey }> {
    const authority = this.parts.mintAuthority;
    if (!authority) throw new Error('no mint authority on this cluster');
    const tokenAccount = this.tokenAccountOf(owner);
    const signed = await this.signAsTreasury(
      [
        splToken.createAssociatedTokenAccountIdempotentInstruction(
          this.treasury,
          tokenAccount,
          owner,
          this.mint,
          this.tokenProgram,
        ),
        splToken.createMintToCheckedInstruction(
          this.mint,
          tokenAccount,
          authority.publicKey,
          amount,
          this.decimals,
          [],
          this.tokenProgram,
        ),
      ],
      [authority],
    );
    const refused = await this.sendSigned(signed.wire);
    if (refused) throw new AppError('CHAIN_UNAVAILABLE', `minting test tokens failed: ${refused}`);
    return { signature: signed.signature, tokenAccount };
  }

  /** Waits until the signatures reach `confirmed` (or fail) or `timeoutMs` passes; returns their statuses. */
  async waitForConfirmation(signatures: string[], timeoutMs: number): Promise<(SignatureStatus | null)[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const statuses = await this.signatureStatuses(signatures);
      const settled = statuses.every(
        (s) =>
          s !== null &&
          (s.err !== null || s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized'),
      );
      if (settled || Date.now() >= deadline) return statuses;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async rpc<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.logger.warn({ msg: 'Solana RPC call failed', rpcUrl: this.rpcUrl, err: (error as Error).message });
      throw new AppError(
        'CHAIN_UNAVAILABLE',
        `the Solana RPC at ${this.rpcUrl} did not answer (${(error as Error).message}); try again shortly`,
      );
    }
  }
}
