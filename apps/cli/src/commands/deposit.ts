import { Keypair } from '@solana/web3.js';
import type { CommandContext } from '../cli-context';
import { CliError } from '../cli-error';
import { displayPath, requireApiKey } from '../config/cli-config';
import type { ChainView, DepositView } from '../api/operations';
import { TesseraApi } from '../api/tessera-api';
import { DepositTransfer } from '../wallet/deposit-transfer';
import { formatTokenAmount, parseTokenAmount } from '../wallet/token-amount';
import { defaultWalletPath, readOrCreateWallet, readWallet } from '../wallet/wallet-file';

export interface DepositOptions {
  wallet?: string;
  rpcUrl?: string;
  confirm?: string;
  json?: boolean;
}

/** How long a transfer may take to be finalized (devnet: about 15 s; congested mainnet: longer). */
const FINALITY_TIMEOUT_MS = 180_000;

/**
 * `tessera deposit <amount> [--wallet <keypair.json>]`: sends `amount` of the coordinator's token
 * from a wallet to its treasury with the memo naming your account, waits until the transfer is
 * finalized and has the coordinator credit it (`confirmDeposit`), printing the signature. On the
 * local cluster, without --wallet, it uses (and first creates) ~/.config/tessera/wallet.json and
 * asks the coordinator for the test tokens (and SOL) the wallet lacks. `--confirm <signature>`
 * credits a transfer made elsewhere (another wallet app, or an interrupted run).
 */
export async function deposit(
  ctx: CommandContext,
  amountText: string | undefined,
  opts: DepositOptions,
): Promise<number> {
  requireApiKey(ctx.config);
  const api = new TesseraApi(ctx.config);
  const out = (line: string) => (opts.json ? ctx.io.stderr : ctx.io.stdout).write(`${line}\n`);
  if (opts.confirm) {
    if (amountText !== undefined)
      throw new CliError('give either an amount to send or --confirm <signature>, not both');
    return report(ctx, await confirmWhenFinal(api, opts.confirm, ctx.io.interrupted), opts);
  }
  if (amountText === undefined)
    throw new CliError('how much? e.g. tessera deposit 25 (or --confirm <signature>)');

  const chain = await api.chain();
  const amount = parseTokenAmount(amountText, chain.decimals);
  const { wallet, path, created } = openWallet(ctx, chain, opts.wallet);
  const shown = displayPath(path, ctx.io.homeDir);
  if (created) out(`created the wallet ${shown} (${wallet.publicKey.toBase58()})`);
  const transfer = new DepositTransfer(chain, opts.rpcUrl ?? chain.rpcUrl);

  const funds = await transfer.funds(wallet.publicKey);
  if (funds.tokens < amount || !DepositTransfer.hasFeeMoney(funds)) {
    if (!chain.testTokens) {
      throw new CliError(
        funds.tokens < amount
          ? `the wallet ${shown} holds ${formatTokenAmount(funds.tokens, chain.decimals)} ${chain.currency}; the deposit needs ${amountText} (mint ${chain.mint} on ${chain.cluster})`
          : `the wallet ${shown} has no SOL for the transaction fee on ${chain.cluster}`,
      );
    }
    const shortfall = funds.tokens < amount ? amount - funds.tokens : 1n;
    const minted = await api.requestTestTokens(
      wallet.publicKey.toBase58(),
      formatTokenAmount(shortfall, chain.decimals),
    );
    out(`minted ${minted.amount} test ${chain.currency} and ${minted.sol} SOL to ${shown} (local cluster)`);
  }

  const signature = await transfer.send(wallet, amount);
  out(`sent ${amountText} ${chain.currency} to the treasury: ${signature}`);
  await transfer.waitFinalized(signature, {
    timeoutMs: FINALITY_TIMEOUT_MS,
    signal: ctx.io.interrupted,
    onWait: (status) => out(`  ${status}; waiting until it is finalized…`),
  });
  return report(ctx, await confirmWhenFinal(api, signature, ctx.io.interrupted), opts);
}

function openWallet(
  ctx: CommandContext,
  chain: ChainView,
  given: string | undefined,
): { wallet: Keypair; path: string; created: boolean } {
  if (given) return { wallet: readWallet(given), path: given, created: false };
  if (chain.cluster !== 'local') {
    throw new CliError(
      `on ${chain.cluster}, pass --wallet <keypair.json>: a Solana keypair file holding ${chain.currency} (mint ${chain.mint}) and SOL for the fee`,
    );
  }
  const path = defaultWalletPath(ctx.io.homeDir);
  return { ...readOrCreateWallet(path), path };
}

/**
 * Asks the coordinator to credit the transfer; its view of the chain may lag ours by a moment, so
 * DEPOSIT_NOT_FINAL (and NOT_FOUND, briefly) are retried for a while.
 */
async function confirmWhenFinal(
  api: TesseraApi,
  signature: string,
  signal: AbortSignal,
): Promise<DepositView> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.confirmDeposit(signature);
    } catch (error) {
      const retry = /^(DEPOSIT_NOT_FINAL|DEPOSIT_NOT_FOUND):/.test((error as Error).message);
      if (!retry || attempt >= 30 || signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function report(ctx: CommandContext, credited: DepositView, opts: DepositOptions): number {
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(credited, null, 2)}\n`);
    return 0;
  }
  ctx.io.stdout.write(
    `deposited ${credited.amount} ${credited.currency}: credited to your account\n` +
      `signature ${credited.signature}\n` +
      (credited.explorerUrl ? `${credited.explorerUrl}\n` : '') +
      `next: tessera balance\n`,
  );
  return 0;
}
