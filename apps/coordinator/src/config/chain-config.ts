import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The payments half of the configuration (DESIGN.md §6, docs/payments.md): which Solana cluster
 * holds the token, the treasury, and the payout worker. `loadConfig` parses these variables with the
 * rest (one message names every bad one) and resolves them here.
 */

export type Cluster = 'local' | 'devnet' | 'mainnet-beta';

/** Where a test may make the payout worker SIGKILL itself (only with NODE_ENV=test). */
export const CRASH_POINTS = ['payout:before-send', 'payout:after-send', 'payout:after-record'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const PUBLIC_RPC_URLS: Record<Exclude<Cluster, 'local'>, string> = {
  devnet: 'https://api.devnet.solana.com',
  'mainnet-beta': 'https://api.mainnet-beta.solana.com',
};

const BASE58_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const CHAIN_ENV = {
  /** `local` (an embedded chain unless TESSERA_CHAIN_RPC_URL is set), `devnet` or `mainnet-beta`. */
  TESSERA_CHAIN: z.enum(['local', 'devnet', 'mainnet-beta']).default('local'),
  /** JSON-RPC endpoint (PubSub on the same host, port + 1 when it has a port). Default: the public one. */
  TESSERA_CHAIN_RPC_URL: z
    .url()
    .regex(/^https?:\/\//, 'an http:// or https:// URL')
    .optional(),
  /** Embedded local chain: its RPC port (PubSub on port + 1). Unset: any free pair. */
  TESSERA_CHAIN_PORT: int(1, 65534).optional(),
  /** Embedded local chain: slot length in milliseconds. */
  TESSERA_CHAIN_SLOT_MS: int(10, 60_000).default(400),
  /** The SPL token's mint (6 decimals). The embedded chain makes its own. */
  TESSERA_TOKEN_MINT: z.string().regex(BASE58_ADDRESS, 'a base58 mint address').optional(),
  /** Solana CLI keypair file of the treasury wallet: receives deposits, signs payouts, pays fees. */
  TESSERA_TREASURY_KEYPAIR: z.string().min(1).optional(),
  /** Local cluster only: the mint authority's keypair file, which lets requestTestTokens mint. */
  TESSERA_MINT_AUTHORITY_KEYPAIR: z.string().min(1).optional(),
  /** How often the payout worker batches earnings into transfers (and reconciles sent ones). */
  TESSERA_PAYOUT_INTERVAL_SEC: int(1, 7 * 24 * 3600).default(60),
  /** Earnings below this (in tokens) wait for the next payout. */
  TESSERA_PAYOUT_MIN: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/, 'a decimal token amount with at most 6 decimals, e.g. 12.5')
    .default('1'),
  /** Most transfers in one payout transaction; 18 is what fits in 1,232 bytes. Lower it to compare. */
  TESSERA_PAYOUT_MAX_TRANSFERS: int(1, 18).default(18),
  /** Tests only (NODE_ENV=test): SIGKILL the process at this point of a payout. */
  TESSERA_TEST_CRASH_AT: z.enum(CRASH_POINTS).optional(),
};

type ChainEnv = z.infer<z.ZodObject<typeof CHAIN_ENV>>;

export interface ChainSettings {
  cluster: Cluster;
  /** The RPC endpoint; null when the coordinator runs the local chain itself (embedded). */
  rpcUrl: string | null;
  /** The embedded local chain: port (0: any free), slot length, and where its ledger and keys live. */
  embedded: { port: number; slotMs: number; dir: string } | null;
  /** Null only when embedded (the chain makes the mint on first start). */
  mint: string | null;
  treasuryKeypairPath: string | null;
  mintAuthorityKeypairPath: string | null;
}

export interface PayoutSettings {
  intervalMs: number;
  /** Base units (6 decimals). */
  minAmount: bigint;
  maxTransfersPerTx: number;
}

export interface ChainConfigPart {
  chain: ChainSettings;
  payouts: PayoutSettings;
  /** Test hooks; null outside NODE_ENV=test. */
  testCrashAt: CrashPoint | null;
}

/**
 * Resolves the chain variables; pushes a problem (the variable, its value, what to set) for each
 * inconsistency instead of throwing, so that loadConfig reports them with everything else.
 */
export function resolveChainConfig(
  e: ChainEnv,
  nodeEnv: string,
  dataDir: string,
  problems: string[],
): ChainConfigPart {
  const cluster = e.TESSERA_CHAIN;
  const embedded = cluster === 'local' && !e.TESSERA_CHAIN_RPC_URL;
  if (embedded) {
    for (const name of ['TESSERA_TOKEN_MINT', 'TESSERA_TREASURY_KEYPAIR'] as const) {
      if (e[name]) {
        problems.push(
          `${name}=${JSON.stringify(e[name])}: the embedded local chain makes its own token and treasury; set TESSERA_CHAIN_RPC_URL to use a chain you run, or unset ${name}`,
        );
      }
    }
  } else {
    const missing = [
      e.TESSERA_TOKEN_MINT ? null : 'TESSERA_TOKEN_MINT (the SPL token mint address)',
      e.TESSERA_TREASURY_KEYPAIR
        ? null
        : 'TESSERA_TREASURY_KEYPAIR (a Solana CLI keypair file of the treasury wallet, which receives deposits and signs payouts)',
    ].filter((m): m is string => m !== null);
    if (missing.length > 0) {
      const where =
        cluster === 'local' ? 'TESSERA_CHAIN=local with TESSERA_CHAIN_RPC_URL' : `TESSERA_CHAIN=${cluster}`;
      problems.push(`${where} needs ${missing.join(' and ')}; set ${missing.length > 1 ? 'both' : 'it'}`);
    }
  }
  for (const name of ['TESSERA_TREASURY_KEYPAIR', 'TESSERA_MINT_AUTHORITY_KEYPAIR'] as const) {
    const path = e[name];
    const problem = path ? keypairFileProblem(path) : null;
    if (problem) problems.push(`${name}=${JSON.stringify(path)}: ${problem}`);
  }
  if (e.TESSERA_MINT_AUTHORITY_KEYPAIR && cluster !== 'local') {
    problems.push(
      `TESSERA_MINT_AUTHORITY_KEYPAIR: test tokens are minted on the local cluster only, not on ${cluster}; unset it`,
    );
  }
  if (e.TESSERA_TEST_CRASH_AT && nodeEnv !== 'test') {
    problems.push(
      `TESSERA_TEST_CRASH_AT=${e.TESSERA_TEST_CRASH_AT}: a test hook, honoured only with NODE_ENV=test`,
    );
  }
  const [whole, fraction = ''] = e.TESSERA_PAYOUT_MIN.split('.');
  const minAmount = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  if (minAmount === 0n) problems.push('TESSERA_PAYOUT_MIN=0: must be positive (a payout moves tokens)');
  return {
    chain: {
      cluster,
      rpcUrl: embedded
        ? null
        : (e.TESSERA_CHAIN_RPC_URL ?? PUBLIC_RPC_URLS[cluster as Exclude<Cluster, 'local'>]),
      embedded: embedded
        ? { port: e.TESSERA_CHAIN_PORT ?? 0, slotMs: e.TESSERA_CHAIN_SLOT_MS, dir: join(dataDir, 'chain') }
        : null,
      mint: e.TESSERA_TOKEN_MINT ?? null,
      treasuryKeypairPath: e.TESSERA_TREASURY_KEYPAIR ? resolve(e.TESSERA_TREASURY_KEYPAIR) : null,
      mintAuthorityKeypairPath: e.TESSERA_MINT_AUTHORITY_KEYPAIR
        ? resolve(e.TESSERA_MINT_AUTHORITY_KEYPAIR)
        : null,
    },
    payouts: {
      intervalMs: e.TESSERA_PAYOUT_INTERVAL_SEC * 1000,
      minAmount,
      maxTransfersPerTx: e.TESSERA_PAYOUT_MAX_TRANSFERS,
    },
    testCrashAt: nodeEnv === 'test' ? (e.TESSERA_TEST_CRASH_AT ?? null) : null,
  };
}

/** Why a Solana CLI keypair file (a JSON array of 64 bytes) is unusable, or null when it is fine. */
export function keypairFileProblem(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  try {
    const bytes = JSON.parse(text) as unknown;
    if (
      Array.isArray(bytes) &&
      bytes.length === 64 &&
      bytes.every((b) => Number.isInteger(b) && b >= 0 && b < 256)
    ) {
      return null;
    }
  } catch {
    // reported below
  }
  return 'not a Solana CLI keypair file (a JSON array of 64 numbers, as `solana-keygen new` writes)';
}
