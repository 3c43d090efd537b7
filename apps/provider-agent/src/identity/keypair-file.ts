import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Ed25519Keypair } from '@tessera/crypto';

/**
 * The agent's identity: an ed25519 keypair stored as Solana's CLI stores it (a JSON array of the 64
 * secret-key bytes), so `solana-keygen pubkey <file>` shows the same address that receives payouts.
 */
export async function loadKeypair(path: string): Promise<Ed25519Keypair> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no keypair at ${path}: run \`tessera-agent init\` to create one`);
    }
    throw error;
  }
  let bytes: unknown;
  try {
    bytes = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not a Solana keypair file (expected a JSON array of 64 numbers)`);
  }
  if (
    !Array.isArray(bytes) ||
    bytes.length !== 64 ||
    !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
  ) {
    throw new Error(`${path} is not a Solana keypair file (expected a JSON array of 64 numbers)`);
  }
  return Ed25519Keypair.fromSecretKey(Uint8Array.from(bytes as number[]));
}

/** Writes a new keypair readable only by its owner; refuses to overwrite one unless `force`. */
export async function createKeypairFile(path: string, force = false): Promise<Ed25519Keypair> {
  const keypair = Ed25519Keypair.generate();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, JSON.stringify([...keypair.secretKey]), { mode: 0o600, flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(
        `${path} already exists: it holds this machine's identity and earnings address (use --force to replace it)`,
      );
    }
    throw error;
  }
  await chmod(path, 0o600);
  return keypair;
}
