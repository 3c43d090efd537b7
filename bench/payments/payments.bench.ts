/**
 * bench/payments: how fast and how cheaply the coordinator's payout worker pays providers on the
 * local chain, batched (up to 18 transferChecked and a memo per transaction) against one transfer
 * per transaction (TESSERA_PAYOUT_MAX_TRANSFERS=1), through the real path: a coordinator process on
 * PostgreSQL, a local chain process (LiteSVM behind JSON-RPC), earnings in the ledger, and the
 * worker batching, signing, sending, waiting for finality and recording (DESIGN.md §6, §9).
 *
 *   npm run build && npm run bench:payments
 *
 * Writes bench/results/payments.json; its top-level `payoutsPerTx` is the batched mode's median
 * transfers per transaction (target ≥ 10). bench/README.md describes the method and the knobs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Connection, Keypair, PublicKey, sendAndConfirmTransaction, Transaction } from '@solana/web3.js';
import { splToken } from '@tessera/chain';
import { ChainProcess, creditEarnings, insertProviders, queryRows, spawnLocalChain } from '@tessera/testing';
import { startCoordinator } from '../lib/coordinator-process';
import { createDatabase, distRoot, machineInfo, repoRoot } from '../lib/environment';
import { median, round, table } from '../lib/stats';

const env = process.env;
function intEnv(name: string, fallback: number): number {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}=${raw}: expected a positive integer`);
  return v;
}

/** Providers paid per run: 180 is ten full batched transactions. */
const PAYOUTS = intEnv('BENCH_PAYOUTS', 180);
const REPS = intEnv('BENCH_REPS', 3);
/** Slot length of the local chain; 400 ms is devnet's. Finality is 2 slots after the transaction's. */
const SLOT_MS = intEnv('BENCH_SLOT_MS', 400);
const TARGET_PAYOUTS_PER_TX = 10;

const log = (line = '') => process.stdout.write(`${line}\n`);

interface Mode {
  name: string;
  /** TESSERA_PAYOUT_MAX_TRANSFERS */
  maxTransfers: number;
  /** Whether the wallets are new (the worker first creates their token accounts). */
  newWallets: boolean;
}

const MODES: Mode[] = [
  { name: 'batched, new wallets', maxTransfers: 18, newWallets: true },
  { name: 'batched', maxTransfers: 18, newWallets: false },
  { name: 'one transfer per tx', maxTransfers: 1, newWallets: false },
];

interface Sample {
  payouts: number;
  transactions: number;
  payoutsPerTx: number;
  /** From the first batch (or token-account setup) recorded to the last batch finalized and recorded. */
  seconds: number;
  payoutsPerSec: number;
  /** Until every transaction was signed and sent (not yet final). */
  sentSeconds: number;
  feeLamportsPerPayout: number;
  /** Rent of the token accounts the worker created, per payout (new wallets only). */
  rentLamportsPerPayout: number;
  setupFeeLamportsPerPayout: number;
}

async function runOnce(chain: ChainProcess, mode: Mode, wallets: PublicKey[], rep: number): Promise<Sample> {
  const db = await createDatabase('bench_payments');
  const coordinator = await startCoordinator({
    distRoot: distRoot(),
    databaseUrl: db.url,
    poolSize: 10,
    env: {
      TESSERA_SCENE_INSPECTOR: 'off',
      TESSERA_MODEL_INSPECTOR: 'off',
      TESSERA_CHAIN: 'local',
      TESSERA_CHAIN_RPC_URL: chain.rpcUrl,
      TESSERA_TOKEN_MINT: chain.info.mint,
      TESSERA_TREASURY_KEYPAIR: chain.info.treasuryKeypairPath,
      TESSERA_PAYOUT_INTERVAL_SEC: '1',
      TESSERA_PAYOUT_MIN: '0.000001',
      TESSERA_PAYOUT_MAX_TRANSFERS: String(mode.maxTransfers),
    },
  });
  try {
    const before = await balances(chain, wallets);
    const amounts = wallets.map((_, i) => BigInt(1_000_000 + rep * 1000 + i));
    // New providers each run, owned by the wallets: their token accounts exist after the first run.
    const ids = await insertProviders(
      db.url,
      wallets.map((w) => ({ address: Keypair.generate().publicKey.toBase58(), owner: w.toBase58() })),
    );
    await creditEarnings(
      db.url,
      ids.map((providerId, i) => ({ providerId, amount: amounts[i] })),
    );
    const deadline = Date.now() + 600_000;
    for (;;) {
      // Paid, and the token-account setups' costs recorded (a run records those once final).
      const [{ paid, setups }] = await queryRows<{ paid: number; setups: number }>(
        db.url,
        `SELECT (SELECT count(*)::int FROM payout_intent WHERE state = 'PAID') AS paid,
                (SELECT count(*)::int FROM token_account_setup WHERE state = 'SENT') AS setups`,
      );
      if (paid === ids.length && setups === 0) break;
      if (Date.now() > deadline)
        throw new Error(`only ${paid} of ${ids.length} paid after 10 min:\n${coordinator.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every wallet got exactly its amount: nothing paid twice, nothing lost.
    const after = await balances(chain, wallets);
    wallets.forEach((w, i) => {
      if (after[i] - before[i] !== amounts[i]) {
        throw new Error(`wallet ${w.toBase58()} received ${after[i] - before[i]}, expected ${amounts[i]}`);
      }
    });
    const [batches] = await queryRows<{
      n: number;
      payouts: number;
      fee: string;
      seconds: number;
      sentSeconds: number;
    }>(
      db.url,
      `SELECT count(*)::int AS n, sum(transfers)::int AS payouts, sum(fee_lamports)::text AS fee,
              extract(epoch FROM max(finished_at) - min(created_at))::float8 AS seconds,
              extract(epoch FROM max(sent_at) - min(created_at))::float8 AS "sentSeconds"
         FROM payout_batch WHERE state = 'PAID'`,
    );
    const [setups] = await queryRows<{ rent: string | null; fee: string | null }>(
      db.url,
      `SELECT sum(rent_lamports)::text AS rent, sum(fee_lamports)::text AS fee FROM token_account_setup WHERE state = 'DONE'`,
    );
    return {
      payouts: batches.payouts,
      transactions: batches.n,
      payoutsPerTx: batches.payouts / batches.n,
      seconds: batches.seconds,
      payoutsPerSec: batches.payouts / batches.seconds,
      sentSeconds: batches.sentSeconds,
      feeLamportsPerPayout: Number(BigInt(batches.fee)) / batches.payouts,
      rentLamportsPerPayout: Number(BigInt(setups.rent ?? '0')) / batches.payouts,
      setupFeeLamportsPerPayout: Number(BigInt(setups.fee ?? '0')) / batches.payouts,
    };
  } finally {
    await coordinator.stop();
    await db.drop();
  }
}

/** Gives the wallets their token accounts beforehand, as paid providers' wallets have. */
async function createTokenAccounts(chain: ChainProcess, wallets: PublicKey[]): Promise<void> {
  const connection = new Connection(chain.rpcUrl, 'confirmed');
  const mint = new PublicKey(chain.info.mint);
  const treasury = Keypair.fromSecretKey(
    Uint8Array.from(JSON.parse(readFileSync(chain.info.treasuryKeypairPath, 'utf8')) as number[]),
  );
  for (let i = 0; i < wallets.length; i += 10) {
    const tx = new Transaction().add(
      ...wallets
        .slice(i, i + 10)
        .map((w) =>
          splToken.createAssociatedTokenAccountIdempotentInstruction(
            treasury.publicKey,
            splToken.getAssociatedTokenAddressSync(mint, w, true),
            w,
            mint,
          ),
        ),
    );
    await sendAndConfirmTransaction(connection, tx, [treasury]);
  }
}

async function balances(chain: ChainProcess, wallets: PublicKey[]): Promise<bigint[]> {
  const connection = new Connection(chain.rpcUrl, 'confirmed');
  const mint = new PublicKey(chain.info.mint);
  const out: bigint[] = [];
  for (let i = 0; i < wallets.length; i += 100) {
    const addresses = wallets
      .slice(i, i + 100)
      .map((w) => splToken.getAssociatedTokenAddressSync(mint, w, true));
    const infos = await connection.getMultipleAccountsInfo(addresses);
    infos.forEach((info, j) => out.push(info ? splToken.unpackAccount(addresses[j], info).amount : 0n));
  }
  return out;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const startedAt = new Date();
  log(
    `bench/payments: ${PAYOUTS} payouts per run, ${REPS} runs per mode, local chain with ${SLOT_MS} ms slots`,
  );
  const chain = await spawnLocalChain({
    outDir: mkdtempSync(join(tmpdir(), 'bench-chain-')),
    slotMs: SLOT_MS,
  });
  const results: { mode: Mode; samples: Sample[] }[] = [];
  try {
    const wallets = Array.from({ length: PAYOUTS }, () => Keypair.generate().publicKey);
    await createTokenAccounts(chain, wallets);
    for (const mode of MODES) {
      const samples: Sample[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        // New wallets each run for the onboarding mode; the others pay the same, existing accounts.
        const runWallets = mode.newWallets
          ? Array.from({ length: PAYOUTS }, () => Keypair.generate().publicKey)
          : wallets;
        const sample = await runOnce(chain, mode, runWallets, rep);
        samples.push(sample);
        log(
          `  ${mode.name} #${rep + 1}: ${sample.payouts} payouts in ${sample.transactions} tx, ${round(sample.seconds, 2)} s to final, ${round(sample.payoutsPerSec, 1)}/s`,
        );
      }
      results.push({ mode, samples });
    }
  } finally {
    await chain.stop();
  }

  const med = (samples: Sample[], key: keyof Sample) => median(samples.map((s) => s[key]));
  log();
  log(
    `Payouts through the coordinator's worker (median of ${REPS} runs of ${PAYOUTS} payouts; local chain, ${SLOT_MS} ms slots)`,
  );
  log(
    table(
      [
        'mode',
        'payouts/tx',
        'tx',
        'payouts/s',
        's to final',
        's to sent',
        'fee lamports/payout',
        'rent lamports/payout',
      ],
      results.map(({ mode, samples }) => [
        mode.name,
        round(med(samples, 'payoutsPerTx'), 1),
        med(samples, 'transactions'),
        round(med(samples, 'payoutsPerSec'), 1),
        round(med(samples, 'seconds'), 2),
        round(med(samples, 'sentSeconds'), 2),
        round(med(samples, 'feeLamportsPerPayout') + med(samples, 'setupFeeLamportsPerPayout'), 0),
        round(med(samples, 'rentLamportsPerPayout'), 0),
      ]),
    ),
  );
  const summary = (name: string) => {
    const r = results.find((x) => x.mode.name === name) as { samples: Sample[] };
    return {
      payoutsPerTx: med(r.samples, 'payoutsPerTx'),
      payoutsPerSec: round(med(r.samples, 'payoutsPerSec'), 2),
      secondsToFinal: round(med(r.samples, 'seconds'), 3),
      secondsToSent: round(med(r.samples, 'sentSeconds'), 3),
      feeLamportsPerPayout: round(med(r.samples, 'feeLamportsPerPayout'), 1),
      setupFeeLamportsPerPayout: round(med(r.samples, 'setupFeeLamportsPerPayout'), 1),
      rentLamportsPerPayout: round(med(r.samples, 'rentLamportsPerPayout'), 1),
      samples: r.samples,
    };
  };
  const batched = summary('batched');
  const single = summary('one transfer per tx');
  const report = {
    bench: 'payments',
    payoutsPerTx: batched.payoutsPerTx,
    target: { payoutsPerTx: TARGET_PAYOUTS_PER_TX },
    pass: batched.payoutsPerTx >= TARGET_PAYOUTS_PER_TX,
    speedup: round(batched.payoutsPerSec / single.payoutsPerSec, 2),
    feeSaving: round(single.feeLamportsPerPayout / batched.feeLamportsPerPayout, 2),
    batched,
    oneTransferPerTx: single,
    batchedNewWallets: summary('batched, new wallets'),
    method:
      "A coordinator process (payout interval 1 s) on a fresh PostgreSQL database pays providers whose earnings are credited in one ledger journal; timing is from the first batch recorded to the last one finalized and recorded, from the batches' own timestamps. Each wallet's on-chain balance is checked to have grown by exactly its amount.",
    config: { payouts: PAYOUTS, reps: REPS, slotMs: SLOT_MS, finalityDepth: 2 },
    machine: await machineInfo(root),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  const out = resolve(root, env.BENCH_OUT ?? 'bench/results/payments.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log();
  log(
    `payoutsPerTx ${report.payoutsPerTx} (target ≥ ${TARGET_PAYOUTS_PER_TX}: ${report.pass ? 'pass' : 'FAIL'}); batched is ${report.speedup}× the payouts/s and ${report.feeSaving}× cheaper in fees per payout`,
  );
  log(`wrote ${relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
