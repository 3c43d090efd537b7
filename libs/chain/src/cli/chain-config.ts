import { resolve } from 'node:path';
import { z } from 'zod';

const EnvSchema = z.object({
  TESSERA_CHAIN_PORT: z.coerce.number().int().min(1).max(65534).default(8899),
  TESSERA_CHAIN_HOST: z.string().min(1).default('127.0.0.1'),
  TESSERA_CHAIN_SLOT_MS: z.coerce.number().int().min(10).max(60_000).default(400),
  TESSERA_CHAIN_FINALITY_DEPTH: z.coerce.number().int().min(1).max(1000).default(2),
  /** Where the keypairs, chain.json and the ledger go. */
  TESSERA_CHAIN_OUT: z.string().min(1).default('.tessera/chain'),
  TESSERA_CHAIN_DECIMALS: z.coerce.number().int().min(0).max(9).default(6),
  /** Keep the ledger across restarts (in <out>/ledger); `false` starts empty every time. */
  TESSERA_CHAIN_PERSIST: z.enum(['true', 'false']).default('true'),
});

export interface ChainConfig {
  port: number;
  host: string;
  slotMs: number;
  finalityDepth: number;
  outDir: string;
  decimals: number;
  /** The ledger directory, or null when nothing persists. */
  ledgerDir: string | null;
}

/** Command-line flags override the environment; every bad value is reported at once. */
export function loadChainConfig(
  env: NodeJS.ProcessEnv,
  flags: Partial<Record<string, string>> = {},
): ChainConfig {
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  const merged = { ...env, ...given };
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `  - ${String(issue.path[0])}=${JSON.stringify(merged[String(issue.path[0])] ?? '')}: ${issue.message}`,
    );
    throw new Error(`invalid chain configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const outDir = resolve(e.TESSERA_CHAIN_OUT);
  return {
    port: e.TESSERA_CHAIN_PORT,
    host: e.TESSERA_CHAIN_HOST,
    slotMs: e.TESSERA_CHAIN_SLOT_MS,
    finalityDepth: e.TESSERA_CHAIN_FINALITY_DEPTH,
    outDir,
    decimals: e.TESSERA_CHAIN_DECIMALS,
    ledgerDir: e.TESSERA_CHAIN_PERSIST === 'true' ? resolve(outDir, 'ledger') : null,
  };
}
