import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, PublicKey } from '@solana/web3.js';
import { LocalChain } from '../local-chain';
import { splToken } from '../spl-token';
import { ChainConfig } from './chain-config';
import { ChainInfo, runChain } from './run-chain';

// Medium test of what the CLI does before it waits for SIGTERM: start, bootstrap the token once,
// write the keypairs and chain.json, and reuse them when it restarts on the same ledger.

let outDir: string;
let chain: LocalChain | undefined;

beforeEach(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'tessera-chain-cli-'));
});

afterEach(async () => {
  await chain?.stop();
  await rm(outDir, { recursive: true, force: true });
});

const config = (): ChainConfig => ({
  port: 0,
  host: '127.0.0.1',
  slotMs: 50,
  finalityDepth: 2,
  outDir,
  decimals: 6,
  ledgerDir: join(outDir, 'ledger'),
});

async function keypairFile(path: string): Promise<Keypair> {
  return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(await readFile(path, 'utf8')) as number[]));
}

it('bootstraps a funded treasury once and finds it again after a restart', async () => {
  let info: ChainInfo;
  ({ chain, info } = await runChain(config()));
  const written = JSON.parse(await readFile(join(outDir, 'chain.json'), 'utf8')) as ChainInfo;
  expect(written).toEqual(info);
  const treasury = await keypairFile(info.treasuryKeypairPath);
  expect(treasury.publicKey.toBase58()).toBe(info.treasury);
  expect((await stat(info.treasuryKeypairPath)).mode & 0o777).toBe(0o600);
  const connection = chain.connection();
  const account = await splToken.getAccount(connection, new PublicKey(info.treasuryTokenAccount));
  expect(account.owner.toBase58()).toBe(info.treasury);
  expect(account.amount).toBe(1_000_000n * 1_000_000n);
  expect(await connection.getBalance(treasury.publicKey)).toBeGreaterThan(0);
  await chain.stop();

  let again: ChainInfo;
  ({ chain, info: again } = await runChain(config()));
  expect(chain.restored).toBe(true);
  expect(again).toMatchObject({
    mint: info.mint,
    treasury: info.treasury,
    treasuryTokenAccount: info.treasuryTokenAccount,
  });
  expect(again.rpcUrl).toBe(chain.rpcUrl);
  expect((await keypairFile(again.treasuryKeypairPath)).publicKey.toBase58()).toBe(info.treasury);
});
