import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Keypair, PublicKey } from '@solana/web3.js';
import { splToken } from '@tessera/chain';
import {
  ChainProcess,
  checkLedger,
  CoordinatorProcess,
  createTestDatabase,
  creditEarnings,
  distPath,
  eventually,
  insertProviders,
  ManagedProcess,
  queryRows,
  spawnCoordinator,
  spawnLocalChain,
  TestDatabase,
} from '@tessera/testing';

/**
 * Zero double payments and zero lost payments under crash injection (DESIGN.md §9): coordinator
 * processes pay providers through a local chain that runs as its own process, and are killed
 * (SIGKILL, from inside: TESSERA_TEST_CRASH_AT) at each point of a payout, then restarted. In the
 * end every provider's wallet holds exactly what it earned, the ledger balances, and each provider
 * has exactly one PAID payout per earning.
 */

const CRASH_POINTS = ['payout:before-send', 'payout:after-send', 'payout:after-record'] as const;
const PROVIDERS_PER_ROUND = 12;

describe('payouts survive kill -9 at every step', () => {
  let db: TestDatabase;
  let chain: ChainProcess;
  let connection: Connection;
  let coordinator: CoordinatorProcess | undefined;
  const paid = new Map<string, { wallet: PublicKey; amount: bigint }>(); // by provider id

  const env = (): Record<string, string> => ({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    TESSERA_MIGRATE_ON_START: 'true',
    TESSERA_SCENE_INSPECTOR: 'off',
    TESSERA_MODEL_INSPECTOR: 'off',
    TESSERA_CHAIN: 'local',
    TESSERA_CHAIN_RPC_URL: chain.rpcUrl,
    TESSERA_TOKEN_MINT: chain.info.mint,
    TESSERA_TREASURY_KEYPAIR: chain.info.treasuryKeypairPath,
    TESSERA_PAYOUT_INTERVAL_SEC: '1',
    TESSERA_PAYOUT_MIN: '1',
  });

  beforeAll(async () => {
    db = await createTestDatabase('payouts_crash_e2e');
    chain = await spawnLocalChain({ outDir: mkdtempSync(join(tmpdir(), 'tessera-chain-')), slotMs: 50 });
    connection = new Connection(chain.rpcUrl, 'confirmed');
    // Once, to apply the migrations (TESSERA_MIGRATE_ON_START), before the tests write providers.
    await (await spawnCoordinator(env())).stop();
  });

  afterAll(async () => {
    await coordinator?.stop();
    await chain?.stop();
    await db?.drop();
  });

  /** Fresh providers (a third paid to a separate owner wallet) with earnings credited in the ledger. */
  async function owedProviders(round: number): Promise<string[]> {
    const rows = Array.from({ length: PROVIDERS_PER_ROUND }, (_, i) => {
      const address = Keypair.generate().publicKey;
      const owner = i % 3 === 0 ? Keypair.generate().publicKey : null;
      return { address, owner, amount: BigInt(1_000_000 * (round + 1) + i * 1_000 + 7) };
    });
    const ids = await insertProviders(
      db.url,
      rows.map((r) => ({ address: r.address.toBase58(), owner: r.owner?.toBase58() ?? null })),
    );
    await creditEarnings(
      db.url,
      ids.map((providerId, i) => ({ providerId, amount: rows[i].amount })),
    );
    ids.forEach((id, i) =>
      paid.set(id, { wallet: rows[i].owner ?? rows[i].address, amount: rows[i].amount }),
    );
    return ids;
  }

  /** A coordinator that kills itself at `point`; resolves when it is dead (it may die before /health). */
  async function runUntilCrash(point: string): Promise<string> {
    const proc = new ManagedProcess(
      `coordinator@${point}`,
      spawn(process.execPath, [distPath('apps/coordinator/src/main.js')], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TESSERA_PORT: '0',
          TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-coordinator-')),
          ...env(),
          TESSERA_TEST_CRASH_AT: point,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const timer = setTimeout(() => void proc.kill9(), 60_000);
    await proc.exited;
    clearTimeout(timer);
    expect(proc.child.signalCode).toBe('SIGKILL');
    return proc.logs;
  }

  async function onChain(wallet: PublicKey): Promise<bigint> {
    const address = splToken.getAssociatedTokenAddressSync(new PublicKey(chain.info.mint), wallet, true);
    const account = await connection.getAccountInfo(address);
    return account ? splToken.unpackAccount(address, account).amount : 0n;
  }

  it.each(CRASH_POINTS)('killed at %s and restarted, pays that round exactly once', async (point) => {
    const round = CRASH_POINTS.indexOf(point);
    const ids = await owedProviders(round);

    const logs = await runUntilCrash(point);
    expect(logs).toContain(`"test crash point reached: SIGKILL","point":"${point}"`);

    // A restarted coordinator (the chain never stopped) reconciles what the dead one left.
    coordinator = await spawnCoordinator(env());
    await eventually(
      async () => {
        const rows = await queryRows<{ n: number }>(
          db.url,
          `SELECT count(*)::int AS n FROM payout_intent WHERE provider_id = ANY($1::uuid[]) AND state = 'PAID'`,
          [ids],
        );
        return rows[0].n === ids.length;
      },
      90_000,
      500,
    );
    await coordinator.stop();
    coordinator = undefined;
    for (const id of ids) {
      const { wallet, amount } = paid.get(id)!;
      expect(await onChain(wallet)).toBe(amount);
    }
  });

  it('ends with every provider paid exactly once: on chain, in the ledger and in the payout record', async () => {
    // On chain: each wallet holds exactly what its provider earned (each wallet is paid by one provider).
    for (const { wallet, amount } of paid.values()) expect(await onChain(wallet)).toBe(amount);
    // The treasury lost exactly that, no more.
    const total = [...paid.values()].reduce((sum, p) => sum + p.amount, 0n);
    const treasury = await connection.getTokenAccountBalance(new PublicKey(chain.info.treasuryTokenAccount));
    expect(BigInt(treasury.value.amount)).toBe(1_000_000n * 1_000_000n - total);
    // The ledger balances, nothing is left in flight, and each provider has one PAID payout.
    expect(await checkLedger(db.url)).toMatchObject({ ok: true });
    const open = await queryRows<{ balance: string }>(
      db.url,
      `SELECT balance::text FROM ledger_account WHERE type IN ('provider_earnings', 'provider_payouts_in_flight') AND balance <> 0`,
    );
    expect(open).toEqual([]);
    const perProvider = await queryRows<{ providerId: string; paid: number }>(
      db.url,
      `SELECT provider_id AS "providerId", count(*) FILTER (WHERE state = 'PAID')::int AS paid FROM payout_intent GROUP BY provider_id`,
    );
    expect(perProvider).toHaveLength(paid.size);
    expect(perProvider.every((p) => p.paid === 1)).toBe(true);
    // The transaction signed before the kill at before-send was never sent; by the restart its
    // blockhash had expired, so it was cancelled (EXPIRED) and that round paid in a new one.
    const states = await queryRows<{ state: string; n: number }>(
      db.url,
      `SELECT state, count(*)::int AS n FROM payout_batch GROUP BY state ORDER BY state`,
    );
    expect(states).toEqual([
      { state: 'EXPIRED', n: 1 },
      { state: 'PAID', n: CRASH_POINTS.length },
    ]);
    // Batching held: at least 10 transfers in every payout transaction of a round.
    const batches = await queryRows<{ transfers: number }>(
      db.url,
      `SELECT transfers FROM payout_batch WHERE state = 'PAID'`,
    );
    expect(batches.every((b) => b.transfers >= 10)).toBe(true);
  });
});
