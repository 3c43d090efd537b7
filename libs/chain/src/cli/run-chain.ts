import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Keypair, PublicKey } from '@solana/web3.js';
import { LocalChain, startLocalChain } from '../local-chain';
import { createTestToken } from '../test-token';
import { ChainConfig } from './chain-config';

/** What an operator (and the coordinator's quick start) needs to use the chain: written to chain.json. */
export interface ChainInfo {
  rpcUrl: string;
  wsUrl: string;
  mint: string;
  decimals: number;
  mintAuthority: string;
  treasury: string;
  treasuryTokenAccount: string;
  /** Solana CLI keypair files (JSON arrays of the 64 secret-key bytes). */
  treasuryKeypairPath: string;
  mintAuthorityKeypairPath: string;
}

/**
 * Starts the chain and makes sure it has Tessera's token: on a fresh ledger a new mint and a funded
 * treasury, written to `<out>`; on a restored one, the mint and treasury recorded there before.
 */
export async function runChain(config: ChainConfig): Promise<{ chain: LocalChain; info: ChainInfo }> {
  await mkdir(config.outDir, { recursive: true, mode: 0o700 });
  const chain = await startLocalChain({
    port: config.port,
    host: config.host,
    slotMs: config.slotMs,
    finalityDepth: config.finalityDepth,
    ledgerDir: config.ledgerDir ?? undefined,
  });
  try {
    const previous = chain.restored ? await readInfo(config.outDir) : null;
    const stillThere =
      previous && (await chain.connection().getAccountInfo(new PublicKey(previous.mint))) !== null;
    const info = stillThere
      ? { ...previous, rpcUrl: chain.rpcUrl, wsUrl: chain.wsUrl }
      : await bootstrapToken(chain, config);
    await writeFile(join(config.outDir, 'chain.json'), `${JSON.stringify(info, null, 2)}\n`);
    if (config.ledgerDir) chain.save();
    return { chain, info };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}

async function bootstrapToken(chain: LocalChain, config: ChainConfig): Promise<ChainInfo> {
  const token = await createTestToken(chain, { decimals: config.decimals });
  const treasuryKeypairPath = join(config.outDir, 'treasury.json');
  const mintAuthorityKeypairPath = join(config.outDir, 'mint-authority.json');
  await writeKeypair(treasuryKeypairPath, token.treasury);
  await writeKeypair(mintAuthorityKeypairPath, token.mintAuthority);
  return {
    rpcUrl: chain.rpcUrl,
    wsUrl: chain.wsUrl,
    mint: token.mint.toBase58(),
    decimals: token.decimals,
    mintAuthority: token.mintAuthority.publicKey.toBase58(),
    treasury: token.treasury.publicKey.toBase58(),
    treasuryTokenAccount: token.treasuryTokenAccount.toBase58(),
    treasuryKeypairPath,
    mintAuthorityKeypairPath,
  };
}

/** Solana CLI's format, readable only by its owner. */
async function writeKeypair(path: string, keypair: Keypair): Promise<void> {
  await writeFile(path, JSON.stringify([...keypair.secretKey]), { mode: 0o600 });
}

async function readInfo(outDir: string): Promise<ChainInfo | null> {
  try {
    return JSON.parse(await readFile(join(outDir, 'chain.json'), 'utf8')) as ChainInfo;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
