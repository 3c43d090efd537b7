import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Connection, Keypair, ParsedAccountData, PublicKey, Transaction } from '@solana/web3.js';
import { LocalChain, runChain, splToken } from '@tessera/chain';
import type { ChainSettings, Cluster } from '../config/chain-config';
import { TSR_DECIMALS } from '../ledger/amount';

/** Everything the coordinator knows about its cluster once connected; fixed for the process's life. */
export interface ChainParts {
  cluster: Cluster;
  /** What clients (the CLI, a wallet) send transactions to. */
  rpcUrl: string;
  connection: Connection;
  treasury: Keypair;
  mint: PublicKey;
  decimals: number;
  /** The SPL Token program that owns the mint (classic Token or Token-2022). */
  tokenProgram: PublicKey;
  /** The treasury's associated token account for the mint: deposits land here, payouts leave from it. */
  treasuryTokenAccount: PublicKey;
  /** Local cluster only: lets requestTestTokens mint. */
  mintAuthority: Keypair | null;
  /** The chain this process runs itself (TESSERA_CHAIN=local without an RPC URL). */
  embedded: LocalChain | null;
}

const logger = new Logger('Chain');

/**
 * Connects to the configured cluster, or starts the embedded local chain with its ledger under the
 * data directory (the mint and a funded treasury are made on first start and found again after).
 * Then reads the mint from chain and makes sure the treasury's token account exists. Fails with a
 * message naming what to fix rather than starting a coordinator that cannot take deposits or pay.
 */
export async function connectChain(settings: ChainSettings): Promise<ChainParts> {
  let embedded: LocalChain | null = null;
  let connection: Connection;
  let rpcUrl: string;
  let mintAddress: string;
  let treasury: Keypair;
  let mintAuthority: Keypair | null = null;
  if (settings.embedded) {
    const { dir, port, slotMs } = settings.embedded;
    const { chain, info } = await runChain({
      port,
      host: '127.0.0.1',
      slotMs,
      finalityDepth: 2,
      outDir: dir,
      decimals: TSR_DECIMALS,
      ledgerDir: join(dir, 'ledger'),
    });
    embedded = chain;
    connection = chain.connection('confirmed');
    rpcUrl = chain.rpcUrl;
    mintAddress = info.mint;
    treasury = readKeypair(info.treasuryKeypairPath);
    mintAuthority = readKeypair(info.mintAuthorityKeypairPath);
    logger.log({
      msg: `embedded local chain ${chain.restored ? 'restored' : 'started'}`,
      rpcUrl,
      mint: info.mint,
      treasury: info.treasury,
      dir,
    });
  } else {
    rpcUrl = settings.rpcUrl as string;
    connection = new Connection(rpcUrl, 'confirmed');
    mintAddress = settings.mint as string;
    treasury = readKeypair(settings.treasuryKeypairPath as string);
    mintAuthority = settings.mintAuthorityKeypairPath ? readKeypair(settings.mintAuthorityKeypairPath) : null;
  }
  try {
    const mint = new PublicKey(mintAddress);
    const { decimals, tokenProgram } = await readMint(connection, mint, settings.cluster, rpcUrl);
    const treasuryTokenAccount = splToken.getAssociatedTokenAddressSync(
      mint,
      treasury.publicKey,
      true,
      tokenProgram,
    );
    await ensureTreasuryTokenAccount(connection, treasury, mint, tokenProgram, treasuryTokenAccount);
    return {
      cluster: settings.cluster,
      rpcUrl,
      connection,
      treasury,
      mint,
      decimals,
      tokenProgram,
      treasuryTokenAccount,
      mintAuthority,
      embedded,
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

function readKeypair(path: string): Keypair {
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(path, 'utf8')) as number[]));
}

async function readMint(
  connection: Connection,
  mint: PublicKey,
  cluster: Cluster,
  rpcUrl: string,
): Promise<{ decimals: number; tokenProgram: PublicKey }> {
  let account;
  try {
    // `processed`: the embedded chain made the mint a moment ago, before a slot confirmed it.
    account = (await connection.getParsedAccountInfo(mint, 'processed')).value;
  } catch (error) {
    throw new Error(`cannot reach the Solana RPC at ${rpcUrl} (${cluster}): ${(error as Error).message}`);
  }
  const parsed = account?.data as ParsedAccountData | undefined;
  if (!account || (parsed?.program !== 'spl-token' && parsed?.program !== 'spl-token-2022')) {
    throw new Error(
      `TESSERA_TOKEN_MINT ${mint.toBase58()} is not an SPL token mint on ${cluster} (${rpcUrl}): ${account ? 'the account is not a mint' : 'no account at that address'}`,
    );
  }
  const info = parsed.parsed as { type?: string; info?: { decimals?: number } };
  if (info.type !== 'mint' || typeof info.info?.decimals !== 'number') {
    throw new Error(`TESSERA_TOKEN_MINT ${mint.toBase58()} is a token account, not a mint`);
  }
  if (info.info.decimals !== TSR_DECIMALS) {
    throw new Error(
      `the mint ${mint.toBase58()} has ${info.info.decimals} decimals; Tessera's ledger counts in ${TSR_DECIMALS}-decimal base units, so use a mint with ${TSR_DECIMALS} decimals`,
    );
  }
  return { decimals: info.info.decimals, tokenProgram: account.owner };
}

/** Deposits must have somewhere to land: create the treasury's token account (the treasury pays) once. */
async function ensureTreasuryTokenAccount(
  connection: Connection,
  treasury: Keypair,
  mint: PublicKey,
  tokenProgram: PublicKey,
  address: PublicKey,
): Promise<void> {
  if (await connection.getAccountInfo(address, 'processed')) return;
  const tx = new Transaction().add(
    splToken.createAssociatedTokenAccountIdempotentInstruction(
      treasury.publicKey,
      address,
      treasury.publicKey,
      mint,
      tokenProgram,
    ),
  );
  try {
    const signature = await connection.sendTransaction(tx, [treasury]);
    logger.log({ msg: "creating the treasury's token account", address: address.toBase58(), signature });
    for (let i = 0; i < 120; i++) {
      const status = (await connection.getSignatureStatus(signature)).value;
      if (status?.err) throw new Error(JSON.stringify(status.err));
      if (status?.confirmationStatus === 'confirmed' || status?.confirmationStatus === 'finalized') return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('not confirmed within 60 s');
  } catch (error) {
    throw new Error(
      `the treasury ${treasury.publicKey.toBase58()} has no token account for ${mint.toBase58()} and creating it failed (does the treasury hold SOL for rent and fees?): ${(error as Error).message}`,
    );
  }
}
