import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { CliError } from '../cli-error';

/** The CLI's own wallet on the local cluster: `~/.config/tessera/wallet.json`, beside cli.json. */
export function defaultWalletPath(homeDir: string): string {
  return join(homeDir, '.config', 'tessera', 'wallet.json');
}

/** Reads a Solana CLI keypair file (a JSON array of the 64 secret-key bytes). */
export function readWallet(path: string): Keypair {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the wallet ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    const bytes = JSON.parse(text) as unknown;
    if (Array.isArray(bytes) && bytes.length === 64)
      return Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
  } catch {
    // reported below
  }
  throw new CliError(
    `${path} is not a Solana keypair file (a JSON array of 64 numbers, as solana-keygen writes)`,
  );
}

/** The wallet at `path`, created (readable by its owner only, atomically) when there is none yet. */
export function readOrCreateWallet(path: string): { wallet: Keypair; created: boolean } {
  try {
    readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const wallet = Keypair.generate();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify([...wallet.secretKey]), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
    return { wallet, created: true };
  }
  return { wallet: readWallet(path), created: false };
}
