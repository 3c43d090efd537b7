import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-'));

  it('applies defaults: embedded database with migrations on start, local blob dir', () => {
    const sut = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(sut.port).toBe(8080);
    expect(sut.database.url).toBeUndefined();
    expect(sut.database.migrateOnStart).toBe(true);
    expect(sut.blobs.dir).toBe(join(dataDir, 'blobs'));
    expect(sut.workloads.allowedImages).toEqual(['tessera/toolbox:1']);
    expect(sut.auth.tokenSecret).toHaveLength(64);
  });

  it('keeps the generated token secret across restarts', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).auth.tokenSecret).toBe(
      loadConfig({ TESSERA_DATA_DIR: dataDir }).auth.tokenSecret,
    );
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ TESSERA_PORT: 'eighty', DATABASE_URL: 'mysql://x', TESSERA_LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('TESSERA_PORT="eighty"');
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('TESSERA_LOG_LEVEL="loud"');
  });

  it('refuses a heartbeat interval that would let leases lapse', () => {
    expect(() =>
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_LEASE_TTL_SEC: '10', TESSERA_HEARTBEAT_SEC: '8' }),
    ).toThrow(/TESSERA_HEARTBEAT_SEC=8/);
  });

  it('demands a shared token secret and a real database in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TESSERA_TOKEN_SECRET[\s\S]*DATABASE_URL/);
  });

  it('parses the image allow-list', () => {
    const sut = loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_ALLOWED_IMAGES: 'a:1, b:2 ,' });
    expect(sut.workloads.allowedImages).toEqual(['a:1', 'b:2']);
  });

  it('serves the dashboard from dist/dashboard unless told otherwise, and none when off', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).dashboard.dir).toBe(
      resolve(__dirname, '../../../../dist/dashboard'),
    );
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_DASHBOARD_DIR: '/srv/ui' }).dashboard.dir).toBe(
      '/srv/ui',
    );
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_DASHBOARD_DIR: 'off' }).dashboard.dir).toBeNull();
  });
});

describe('loadConfig: payments on chain', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-chain-'));
  const keypairFile = join(dataDir, 'treasury.json');
  writeFileSync(keypairFile, JSON.stringify(Array.from({ length: 64 }, (_, i) => i)));
  const mint = 'So11111111111111111111111111111111111111112';

  it('defaults to the embedded local chain under the data dir', () => {
    const sut = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(sut.chain).toEqual({
      cluster: 'local',
      rpcUrl: null,
      embedded: { port: 0, slotMs: 400, dir: join(dataDir, 'chain') },
      mint: null,
      treasuryKeypairPath: null,
      mintAuthorityKeypairPath: null,
    });
    expect(sut.payouts).toEqual({ intervalMs: 60_000, minAmount: 1_000_000n, maxTransfersPerTx: 18 });
    expect(sut.testCrashAt).toBeNull();
  });

  it('refuses devnet without a treasury keypair or a mint, in one message that says what to set', () => {
    expect(() => loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_CHAIN: 'devnet' })).toThrow(
      'TESSERA_CHAIN=devnet needs TESSERA_TOKEN_MINT (the SPL token mint address) and TESSERA_TREASURY_KEYPAIR (a Solana CLI keypair file of the treasury wallet, which receives deposits and signs payouts); set both',
    );
    expect(() =>
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_CHAIN: 'mainnet-beta', TESSERA_TOKEN_MINT: mint }),
    ).toThrow(/TESSERA_CHAIN=mainnet-beta needs TESSERA_TREASURY_KEYPAIR .*; set it/);
  });

  it('uses the public RPC endpoint of devnet unless told otherwise', () => {
    const env = {
      TESSERA_DATA_DIR: dataDir,
      TESSERA_CHAIN: 'devnet',
      TESSERA_TOKEN_MINT: mint,
      TESSERA_TREASURY_KEYPAIR: keypairFile,
    };
    expect(loadConfig(env).chain).toMatchObject({
      rpcUrl: 'https://api.devnet.solana.com',
      embedded: null,
      mint,
    });
    expect(loadConfig({ ...env, TESSERA_CHAIN_RPC_URL: 'https://rpc.example.com' }).chain.rpcUrl).toBe(
      'https://rpc.example.com',
    );
  });

  it('names an unreadable or malformed keypair file, a mint authority off the local cluster, and test hooks outside tests', () => {
    const bad = join(dataDir, 'bad.json');
    writeFileSync(bad, '{"not": "a keypair"}');
    let message = '';
    try {
      loadConfig({
        TESSERA_DATA_DIR: dataDir,
        TESSERA_CHAIN: 'devnet',
        TESSERA_TOKEN_MINT: mint,
        TESSERA_TREASURY_KEYPAIR: join(dataDir, 'missing.json'),
        TESSERA_MINT_AUTHORITY_KEYPAIR: bad,
        TESSERA_TEST_CRASH_AT: 'payout:before-send',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      `TESSERA_TREASURY_KEYPAIR="${join(dataDir, 'missing.json')}": cannot read it (ENOENT)`,
    );
    expect(message).toContain('TESSERA_MINT_AUTHORITY_KEYPAIR=');
    expect(message).toContain('not a Solana CLI keypair file');
    expect(message).toContain('test tokens are minted on the local cluster only, not on devnet');
    expect(message).toContain(
      'TESSERA_TEST_CRASH_AT=payout:before-send: a test hook, honoured only with NODE_ENV=test',
    );
  });

  it('refuses a mint or treasury for the embedded chain, which makes its own', () => {
    expect(() => loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_TOKEN_MINT: mint })).toThrow(
      /TESSERA_TOKEN_MINT=.*the embedded local chain makes its own token and treasury; set TESSERA_CHAIN_RPC_URL/,
    );
  });

  it('parses the payout settings and honours a crash point only under NODE_ENV=test', () => {
    const sut = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      NODE_ENV: 'test',
      TESSERA_PAYOUT_INTERVAL_SEC: '5',
      TESSERA_PAYOUT_MIN: '0.25',
      TESSERA_PAYOUT_MAX_TRANSFERS: '1',
      TESSERA_TEST_CRASH_AT: 'payout:after-send',
    });
    expect(sut.payouts).toEqual({ intervalMs: 5000, minAmount: 250_000n, maxTransfersPerTx: 1 });
    expect(sut.testCrashAt).toBe('payout:after-send');
    expect(() => loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_PAYOUT_MIN: '0' })).toThrow(
      /TESSERA_PAYOUT_MIN=0/,
    );
  });
});
