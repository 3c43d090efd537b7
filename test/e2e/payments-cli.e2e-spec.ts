import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection, Keypair, PublicKey } from '@solana/web3.js';
import { splToken } from '@tessera/chain';
import {
  CoordinatorProcess,
  createTestDatabase,
  creditEarnings,
  distPath,
  eventually,
  gql,
  insertProviders,
  spawnCoordinator,
  TestDatabase,
} from '@tessera/testing';

const run = promisify(execFile);

/**
 * The quick start's money path as a user runs it: a coordinator on its embedded local chain, a
 * customer depositing with `tessera deposit` (a wallet made for them and funded with test tokens, a
 * real SPL transfer with the memo, confirmed once final) and reading `tessera balance`, and a
 * provider reading what it was paid with `tessera-agent earnings`.
 */
describe('payments from the command line', () => {
  let db: TestDatabase;
  let coordinator: CoordinatorProcess;
  const work = mkdtempSync(join(tmpdir(), 'tessera-payments-cli-'));
  const env = () => ({ ...process.env, HOME: join(work, 'home'), TESSERA_URL: coordinator.url });
  const tessera = (args: string[]) =>
    run(process.execPath, [distPath('apps/cli/src/main.js'), ...args], { env: env(), timeout: 120_000 });
  const agent = (args: string[]) =>
    run(process.execPath, [distPath('apps/provider-agent/src/main.js'), ...args], {
      env: env(),
      timeout: 60_000,
    });

  beforeAll(async () => {
    db = await createTestDatabase('payments_cli_e2e');
    coordinator = await spawnCoordinator({
      DATABASE_URL: db.url,
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_SCENE_INSPECTOR: 'off',
      TESSERA_MODEL_INSPECTOR: 'off',
      TESSERA_CHAIN_SLOT_MS: '100',
      TESSERA_PAYOUT_INTERVAL_SEC: '1',
    });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await db?.drop();
  });

  it('deposits with a wallet it creates and funds, credits it once, and shows it in the balance', async () => {
    await tessera(['signup', '--name', 'depositor']);
    const first = await tessera(['deposit', '25']);
    const walletPath = join(work, 'home', '.config', 'tessera', 'wallet.json');
    expect(first.stdout).toContain(`created the wallet ~/.config/tessera/wallet.json`);
    expect(first.stdout).toContain(
      'minted 25 test TSR and 1 SOL to ~/.config/tessera/wallet.json (local cluster)',
    );
    expect(first.stdout).toMatch(/deposited 25 TSR: credited to your account\nsignature (\w{80,90})\n/);
    expect(statSync(walletPath).mode & 0o777).toBe(0o600);
    const signature = /signature (\w+)/.exec(first.stdout)![1];

    const again = await tessera(['deposit', '--confirm', signature]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect(again).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('error: DEPOSIT_REPLAYED: transaction'),
    });

    const second = await tessera(['deposit', '4.5', '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ amount: '4.5', currency: 'TSR', explorerUrl: null });

    const balance = await tessera(['balance']);
    // The signup credit of the local cluster (100) and the two deposits.
    expect(balance.stdout).toMatch(/^available {2}129\.5 TSR$/m);
    expect(balance.stdout).toMatch(/just now\s+4\.5 TSR\s+\w+\s+\w+\n.*just now\s+25 TSR\s+/s);

    // The tokens really moved: the treasury's token account holds them, the wallet's is empty again.
    const { chain } = await gql<{ chain: { rpcUrl: string; mint: string; treasuryTokenAccount: string } }>(
      coordinator.url,
      `{ chain { rpcUrl mint treasuryTokenAccount } }`,
    );
    const connection = new Connection(chain.rpcUrl, 'confirmed');
    const wallet = Keypair.fromSecretKey(
      Uint8Array.from(JSON.parse(readFileSync(walletPath, 'utf8')) as number[]),
    );
    const walletAccount = splToken.getAssociatedTokenAddressSync(new PublicKey(chain.mint), wallet.publicKey);
    expect((await connection.getTokenAccountBalance(walletAccount)).value.amount).toBe('0');
    expect(
      BigInt(
        (await connection.getTokenAccountBalance(new PublicKey(chain.treasuryTokenAccount))).value.amount,
      ),
    ).toBe(1_000_000n * 1_000_000n + 29_500_000n);
  });

  it('shows a provider what it earned and the payout to its wallet with tessera-agent earnings', async () => {
    const keypair = join(work, 'agent.json');
    await agent(['init', '--keypair', keypair]);
    const address = (await agent(['address', '--keypair', keypair])).stdout.trim();

    const unknown = await agent(['earnings', '--keypair', keypair, '--coordinator', coordinator.url]).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`does not know ${address} yet`),
    });

    const [providerId] = await insertProviders(db.url, [{ address, name: 'e2e-gpu' }]);
    await creditEarnings(db.url, [{ providerId, amount: 3_250_000n }]);
    const report = await eventually(
      async () => {
        const { stdout } = await agent(['earnings', '--keypair', keypair, '--coordinator', coordinator.url]);
        return stdout.includes('paid       3.25 TSR') ? stdout : undefined;
      },
      60_000,
      1000,
    );
    expect(report).toContain(`provider  ${address}\npaid to   ${address} (its own address)`);
    expect(report).toContain('pending    0 TSR');
    expect(report).toMatch(/PAID\s+3\.25 TSR\s+\w{80,90}\s+\(1 in its transaction\)/);
  });
});
