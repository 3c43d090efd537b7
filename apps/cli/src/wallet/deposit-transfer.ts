import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, Transaction } from '@solana/web3.js';
import { memoInstruction, splToken } from '@tessera/chain';
import { CliError } from '../cli-error';
import type { ChainView } from '../api/operations';

/** What a wallet holds for a deposit: tokens of the mint (base units) and SOL for the fee (lamports). */
export interface WalletFunds {
  tokens: bigint;
  lamports: number;
}

/**
 * The customer's side of a deposit, on the cluster the coordinator names: a transferChecked of the
 * token from the wallet's token account to the treasury's, with the memo naming the account, in one
 * transaction the wallet signs and pays for.
 */
export class DepositTransfer {
  private readonly connection: Connection;
  private readonly mint: PublicKey;
  private tokenProgram?: PublicKey;

  constructor(
    private readonly chain: ChainView,
    rpcUrl: string,
  ) {
    this.connection = new Connection(rpcUrl, 'confirmed');
    this.mint = new PublicKey(chain.mint);
  }

  async funds(wallet: PublicKey): Promise<WalletFunds> {
    const source = await this.sourceOf(wallet);
    const [account, lamports] = await this.rpc(() =>
      Promise.all([this.connection.getAccountInfo(source), this.connection.getBalance(wallet)]),
    );
    const tokens = account ? splToken.unpackAccount(source, account, account.owner).amount : 0n;
    return { tokens, lamports };
  }

  /** Signs and sends the deposit (preflight catches a short balance); returns the signature. */
  async send(wallet: Keypair, amount: bigint): Promise<string> {
    if (!this.chain.depositMemo) throw new CliError('sign in first: the deposit memo names your account');
    const tx = new Transaction().add(
      splToken.createTransferCheckedInstruction(
        await this.sourceOf(wallet.publicKey),
        this.mint,
        new PublicKey(this.chain.treasuryTokenAccount),
        wallet.publicKey,
        amount,
        this.chain.decimals,
        [],
        await this.program(),
      ),
      memoInstruction(this.chain.depositMemo),
    );
    return this.rpc(() => this.connection.sendTransaction(tx, [wallet]));
  }

  /**
   * Waits until the transaction is finalized (only then does the coordinator credit it); `onWait`
   * hears the commitment it has reached. Throws when it failed, expired or `timeoutMs` passed.
   */
  async waitFinalized(
    signature: string,
    opts: { timeoutMs: number; signal: AbortSignal; onWait?: (status: string) => void },
  ): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (opts.signal.aborted) {
        throw new CliError(
          `interrupted; once it is finalized, credit it with: tessera deposit --confirm ${signature}`,
          130,
        );
      }
      const status = (await this.rpc(() => this.connection.getSignatureStatus(signature))).value;
      if (status?.err) throw new CliError(`the transfer failed on chain: ${JSON.stringify(status.err)}`);
      const reached = status?.confirmationStatus ?? 'sent';
      if (reached === 'finalized') return;
      if (reached !== last) opts.onWait?.(reached);
      last = reached;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new CliError(
      `the transfer ${signature} was not finalized within ${Math.round(opts.timeoutMs / 1000)} s; once it is, run: tessera deposit --confirm ${signature}`,
    );
  }

  static hasFeeMoney(funds: WalletFunds): boolean {
    return funds.lamports >= 0.001 * LAMPORTS_PER_SOL;
  }

  private async program(): Promise<PublicKey> {
    if (!this.tokenProgram) {
      const info = await this.rpc(() => this.connection.getAccountInfo(this.mint));
      if (!info) throw new CliError(`the mint ${this.chain.mint} does not exist on ${this.chain.rpcUrl}`);
      this.tokenProgram = info.owner;
    }
    return this.tokenProgram;
  }

  private async sourceOf(wallet: PublicKey): Promise<PublicKey> {
    return splToken.getAssociatedTokenAddressSync(this.mint, wallet, true, await this.program());
  }

  private async rpc<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof CliError) throw error;
      const message = (error as Error).message ?? String(error);
      throw new CliError(
        `the Solana RPC at ${this.connection.rpcEndpoint} refused or did not answer: ${message.split('\n')[0]}`,
      );
    }
  }
}
