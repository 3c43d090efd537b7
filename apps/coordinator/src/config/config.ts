import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { SamplingPolicy, VerificationThresholds } from '@tessera/workloads';
import { CHAIN_ENV, ChainConfigPart, resolveChainConfig } from './chain-config';

const MIB = 1024 * 1024;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A decimal token amount, e.g. `12.5` (at most 6 decimals, the token's). */
const tokens = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,6})?$/, 'a decimal token amount with at most 6 decimals, e.g. 12.5');
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Every variable the coordinator reads, with its default. docs/operations.md lists them for operators. */
const EnvSchema = z.object({
  TESSERA_HOST: z.string().min(1).default('127.0.0.1'),
  TESSERA_PORT: int(0, 65535).default(8080),
  /** Public base URL agents and customers use (for links in logs and the CLI). */
  TESSERA_PUBLIC_URL: z.url().optional(),
  /** PostgreSQL connection string. Unset: an embedded PostgreSQL (PGlite) in the data directory. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  /** Redis for events between coordinator replicas. Unset: in-process events (one replica). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// URL')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  /** Run pending migrations at start-up. Default: only in the single-process embedded mode. */
  TESSERA_MIGRATE_ON_START: bool.optional(),
  TESSERA_DATA_DIR: z.string().min(1).default('.tessera/coordinator'),
  TESSERA_BLOB_DIR: z.string().min(1).optional(),
  TESSERA_MAX_BLOB_MB: int(1, 1024 * 1024).default(1024),
  /** Images customers may name in jobs: comma-separated references. */
  TESSERA_ALLOWED_IMAGES: list.default(['tessera/toolbox:1']),
  TESSERA_MAX_TASKS_PER_JOB: int(1, 100_000).default(10_000),
  TESSERA_MAX_TASK_TIMEOUT_SEC: int(1, 7 * 24 * 3600).default(6 * 3600),
  TESSERA_LEASE_TTL_SEC: int(5, 3600).default(30),
  TESSERA_HEARTBEAT_SEC: int(1, 600).default(10),
  TESSERA_TASK_MAX_ATTEMPTS: int(1, 100).default(4),
  /** Failures of one provider on one job after which the provider gets no more of that job's tasks. */
  TESSERA_PROVIDER_JOB_FAILURE_LIMIT: int(1, 100).default(3),
  /** Secret that signs agents' blob tokens; shared by all replicas. Unset: generated in the data dir. */
  TESSERA_TOKEN_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** How long an agent has to answer the auth challenge before its socket is closed (4408). */
  TESSERA_AUTH_TIMEOUT_SEC: int(1, 600).default(10),
  /** Identifies this coordinator in provider auth challenges; agents sign it. */
  TESSERA_COORDINATOR_ID: z.string().min(1).max(100).default('tessera-local'),
  /** Whether anyone may create an account through the API. */
  TESSERA_OPEN_SIGNUP: bool.default(true),
  /** Where submitted scenes are opened to check them: `docker` (sandboxed, like a task) or `off` (no render jobs). */
  TESSERA_SCENE_INSPECTOR: z.enum(['docker', 'off']).default('docker'),
  TESSERA_RENDER_IMAGE: z.string().min(1).default('tessera/blender:3.4'),
  TESSERA_RENDER_GPU_IMAGE: z.string().min(1).default('tessera/blender:3.4-cuda'),
  /** Render chunks aim at about this much render time each (seconds). */
  TESSERA_RENDER_CHUNK_SECONDS: z.coerce
    .number()
    .min(1)
    .max(24 * 3600)
    .default(60),
  /** Market price of one megapixel at one Cycles sample, in tokens. */
  TESSERA_RENDER_PRICE: z.coerce.number().min(0).default(0.00001),
  /** Where registered models are opened to read their signature: `docker` (sandboxed) or `off` (no inference). */
  TESSERA_MODEL_INSPECTOR: z.enum(['docker', 'off']).default('docker'),
  TESSERA_INFERENCE_IMAGE: z.string().min(1).default('tessera/onnx:1'),
  TESSERA_INFERENCE_GPU_IMAGE: z.string().min(1).default('tessera/onnx:1-cuda'),
  /** Inference shards aim at about this much inference time each (seconds). */
  TESSERA_INFERENCE_SHARD_SECONDS: z.coerce
    .number()
    .min(1)
    .max(24 * 3600)
    .default(30),
  /** Rows one inference batch may have. */
  TESSERA_INFERENCE_MAX_ROWS: int(1, 1_000_000).default(20_000),
  /** Market price of one CPU-second of inference, in tokens. */
  TESSERA_INFERENCE_PRICE: z.coerce.number().min(0).default(0.0001),
  TESSERA_CURRENCY: z.string().min(1).max(10).default('TSR'),
  /** The platform's share of each accepted task's price, in basis points (1000 = 10 %). */
  TESSERA_PLATFORM_FEE_BPS: int(0, 10_000).default(1000),
  /** Bond a provider keeps staked, held back from its first earnings and slashed by a failed check. */
  TESSERA_PROVIDER_BOND: tokens.default('1'),
  /** Tokens a new account starts with: for local development clusters (default 100 there, 0 on devnet and mainnet). */
  TESSERA_SIGNUP_CREDIT: tokens.optional(),
  /** Spot-checks of render and inference results (DESIGN.md §5); `off` accepts every result unchecked. */
  TESSERA_SPOT_CHECKS: z.enum(['on', 'off']).default('on'),
  /** Secret the samples are drawn with (HMAC); shared by all replicas. Unset: derived from the token secret. */
  TESSERA_SAMPLE_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** A new provider has every task checked until this many checks in a row have passed. */
  TESSERA_CHECK_PROBATION: int(0, 100_000).default(25),
  /** After probation the check rate halves every this many further clean checks… */
  TESSERA_CHECK_HALF_LIFE: int(1, 100_000).default(40),
  /** …down to this fraction of tasks, never below. */
  TESSERA_CHECK_FLOOR: z.coerce.number().min(0).max(1).default(0.1),
  /** Failed checks after which a provider is banned. */
  TESSERA_BAN_AFTER_FAILURES: int(1, 1000).default(3),
  /** Regions one render check re-renders (each 1/16 of a frame) and rows one inference check re-runs. */
  TESSERA_CHECK_REGIONS: int(1, 64).default(5),
  TESSERA_CHECK_ROWS: int(1, 256).default(6),
  /** Render comparison (libs/workloads verify/thresholds.ts explains the measured defaults). */
  TESSERA_CHECK_ACCEPT_PSNR_DB: z.coerce.number().min(0).max(200).default(60),
  TESSERA_CHECK_REJECT_PSNR_DB: z.coerce.number().min(0).max(200).default(40),
  TESSERA_CHECK_REJECT_SSIM: z.coerce.number().min(0).max(1).default(0.9),
  /** Inference comparison: |claimed − reference| ≤ atol + rtol·|reference|. */
  TESSERA_CHECK_ROW_ATOL: z.coerce.number().min(0).max(1).default(1e-4),
  TESSERA_CHECK_ROW_RTOL: z.coerce.number().min(0).max(1).default(1e-3),
  /** Rounds of re-execution before a check that stays in the grey zone is given up (the task is re-run). */
  TESSERA_CHECK_MAX_ROUNDS: int(1, 10).default(3),
  /** How long a provider has to prove its sampled items before the check fails. */
  TESSERA_PROOF_TIMEOUT_SEC: int(5, 7 * 24 * 3600).default(600),
  /** Provider addresses of the trusted verifier pool: they take only check tasks nobody else could take in time. */
  TESSERA_TRUSTED_VERIFIERS: list.default([]),
  /** How long a check task waits for an eligible provider before the trusted pool may take it. */
  TESSERA_VERIFIER_POOL_DELAY_SEC: int(0, 24 * 3600).default(60),
  /** How long a check task may wait for anyone before the task is accepted unverified (UNRESOLVED). */
  TESSERA_CHECK_WAIT_SEC: int(10, 7 * 24 * 3600).default(900),
  /** The built web dashboard (static files) served at `/`; `off` serves none. Default: dist/dashboard. */
  TESSERA_DASHBOARD_DIR: z.string().min(1).optional(),
  TESSERA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),

  // ── Payments on chain: cluster, treasury, payout worker (config/chain-config.ts, docs/payments.md) ──
  ...CHAIN_ENV,
});

export interface CoordinatorConfig {
  host: string;
  port: number;
  publicUrl?: string;
  database: { url?: string; poolSize: number; migrateOnStart: boolean };
  dataDir: string;
  redisUrl?: string;
  blobs: { dir: string; maxBytes: number };
  workloads: { allowedImages: string[]; maxTasksPerJob: number; maxTimeoutSec: number };
  render: { inspector: 'docker' | 'off'; image: string; gpuImage: string; chunkSeconds: number };
  inference: {
    inspector: 'docker' | 'off';
    image: string;
    gpuImage: string;
    shardSeconds: number;
    maxRows: number;
  };
  market: { currency: string; renderPerMegapixelSample: number; inferencePerCpuSecond: number };
  /** Money, in base units of the token (6 decimals). */
  billing: { feeBps: number; providerBond: bigint; signupCredit: bigint };
  verification: {
    enabled: boolean;
    sampleSecret: string;
    policy: SamplingPolicy;
    thresholds: VerificationThresholds;
    renderRegions: number;
    inferenceRows: number;
    maxRounds: number;
    proofTimeoutMs: number;
    trustedVerifiers: string[];
    poolDelayMs: number;
    checkWaitMs: number;
  };
  scheduler: {
    leaseTtlMs: number;
    heartbeatIntervalMs: number;
    taskMaxAttempts: number;
    providerJobFailureLimit: number;
    /** How often each replica sweeps expired leases. */
    sweepIntervalMs: number;
  };
  auth: { tokenSecret: string; coordinatorId: string; openSignup: boolean; challengeTimeoutMs: number };
  /** Where the built dashboard is; null when it is switched off. */
  dashboard: { dir: string | null };
  logLevel: string;
  env: 'development' | 'production' | 'test';
  // ── Payments on chain (config/chain-config.ts) ──
  chain: ChainConfigPart['chain'];
  payouts: ChainConfigPart['payouts'];
  testCrashAt: ChainConfigPart['testCrashAt'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the environment once. Throws ConfigError naming every bad variable at once, so an operator
 * fixes them in one pass rather than one restart per mistake.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CoordinatorConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (issue) =>
          `${String(issue.path[0])}=${JSON.stringify(env[String(issue.path[0])] ?? '')}: ${issue.message}`,
      ),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.TESSERA_HEARTBEAT_SEC * 2 > e.TESSERA_LEASE_TTL_SEC) {
    problems.push(
      `TESSERA_HEARTBEAT_SEC=${e.TESSERA_HEARTBEAT_SEC}: must be at most half of TESSERA_LEASE_TTL_SEC (${e.TESSERA_LEASE_TTL_SEC}) so one lost heartbeat does not expire a lease`,
    );
  }
  if (e.NODE_ENV === 'production' && !e.TESSERA_TOKEN_SECRET) {
    problems.push('TESSERA_TOKEN_SECRET: required in production (every replica must share it)');
  }
  if (e.NODE_ENV === 'production' && !e.DATABASE_URL) {
    problems.push(
      'DATABASE_URL: required in production (the embedded database is for a single laptop process)',
    );
  }
  if (e.TESSERA_CHECK_REJECT_PSNR_DB > e.TESSERA_CHECK_ACCEPT_PSNR_DB) {
    problems.push(
      `TESSERA_CHECK_REJECT_PSNR_DB=${e.TESSERA_CHECK_REJECT_PSNR_DB}: must not exceed TESSERA_CHECK_ACCEPT_PSNR_DB (${e.TESSERA_CHECK_ACCEPT_PSNR_DB})`,
    );
  }
  const badVerifier = e.TESSERA_TRUSTED_VERIFIERS.find((a) => !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(a));
  if (badVerifier !== undefined) {
    problems.push(`TESSERA_TRUSTED_VERIFIERS: "${badVerifier}" is not a base58 provider address`);
  }
  const dataDir = resolve(e.TESSERA_DATA_DIR);
  // ── Payments on chain ──
  const chain = resolveChainConfig(e, e.NODE_ENV, dataDir, problems);
  if (problems.length) throw new ConfigError(problems);

  const tokenSecret = e.TESSERA_TOKEN_SECRET ?? localSecret(dataDir);
  return {
    host: e.TESSERA_HOST,
    port: e.TESSERA_PORT,
    publicUrl: e.TESSERA_PUBLIC_URL,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      migrateOnStart: e.TESSERA_MIGRATE_ON_START ?? !e.DATABASE_URL,
    },
    dataDir,
    redisUrl: e.REDIS_URL,
    blobs: {
      dir: resolve(e.TESSERA_BLOB_DIR ?? join(dataDir, 'blobs')),
      maxBytes: e.TESSERA_MAX_BLOB_MB * MIB,
    },
    workloads: {
      allowedImages: e.TESSERA_ALLOWED_IMAGES,
      maxTasksPerJob: e.TESSERA_MAX_TASKS_PER_JOB,
      maxTimeoutSec: e.TESSERA_MAX_TASK_TIMEOUT_SEC,
    },
    render: {
      inspector: e.TESSERA_SCENE_INSPECTOR,
      image: e.TESSERA_RENDER_IMAGE,
      gpuImage: e.TESSERA_RENDER_GPU_IMAGE,
      chunkSeconds: e.TESSERA_RENDER_CHUNK_SECONDS,
    },
    inference: {
      inspector: e.TESSERA_MODEL_INSPECTOR,
      image: e.TESSERA_INFERENCE_IMAGE,
      gpuImage: e.TESSERA_INFERENCE_GPU_IMAGE,
      shardSeconds: e.TESSERA_INFERENCE_SHARD_SECONDS,
      maxRows: e.TESSERA_INFERENCE_MAX_ROWS,
    },
    market: {
      currency: e.TESSERA_CURRENCY,
      renderPerMegapixelSample: e.TESSERA_RENDER_PRICE,
      inferencePerCpuSecond: e.TESSERA_INFERENCE_PRICE,
    },
    billing: {
      feeBps: e.TESSERA_PLATFORM_FEE_BPS,
      providerBond: parseTokens(e.TESSERA_PROVIDER_BOND),
      signupCredit: parseTokens(
        e.TESSERA_SIGNUP_CREDIT ??
          (['devnet', 'mainnet-beta'].includes(env.TESSERA_CHAIN ?? '') ? '0' : '100'),
      ),
    },
    verification: {
      enabled: e.TESSERA_SPOT_CHECKS === 'on',
      sampleSecret:
        e.TESSERA_SAMPLE_SECRET ??
        createHmac('sha256', tokenSecret).update('tessera-sample-secret').digest('hex'),
      policy: {
        probationChecks: e.TESSERA_CHECK_PROBATION,
        halfLifeChecks: e.TESSERA_CHECK_HALF_LIFE,
        floorRate: e.TESSERA_CHECK_FLOOR,
        banAfterFailures: e.TESSERA_BAN_AFTER_FAILURES,
      },
      thresholds: {
        render: {
          acceptPsnrDb: e.TESSERA_CHECK_ACCEPT_PSNR_DB,
          rejectPsnrDb: e.TESSERA_CHECK_REJECT_PSNR_DB,
          acceptSsim: null,
          rejectSsim: e.TESSERA_CHECK_REJECT_SSIM,
        },
        rows: { atol: e.TESSERA_CHECK_ROW_ATOL, rtol: e.TESSERA_CHECK_ROW_RTOL },
      },
      renderRegions: e.TESSERA_CHECK_REGIONS,
      inferenceRows: e.TESSERA_CHECK_ROWS,
      maxRounds: e.TESSERA_CHECK_MAX_ROUNDS,
      proofTimeoutMs: e.TESSERA_PROOF_TIMEOUT_SEC * 1000,
      trustedVerifiers: e.TESSERA_TRUSTED_VERIFIERS,
      poolDelayMs: e.TESSERA_VERIFIER_POOL_DELAY_SEC * 1000,
      checkWaitMs: e.TESSERA_CHECK_WAIT_SEC * 1000,
    },
    scheduler: {
      leaseTtlMs: e.TESSERA_LEASE_TTL_SEC * 1000,
      heartbeatIntervalMs: e.TESSERA_HEARTBEAT_SEC * 1000,
      taskMaxAttempts: e.TESSERA_TASK_MAX_ATTEMPTS,
      providerJobFailureLimit: e.TESSERA_PROVIDER_JOB_FAILURE_LIMIT,
      sweepIntervalMs: Math.min(5000, (e.TESSERA_LEASE_TTL_SEC * 1000) / 4),
    },
    auth: {
      tokenSecret,
      coordinatorId: e.TESSERA_COORDINATOR_ID,
      openSignup: e.TESSERA_OPEN_SIGNUP,
      challengeTimeoutMs: e.TESSERA_AUTH_TIMEOUT_SEC * 1000,
    },
    dashboard: {
      dir:
        e.TESSERA_DASHBOARD_DIR === 'off' ? null : resolve(e.TESSERA_DASHBOARD_DIR ?? defaultDashboardDir()),
    },
    logLevel: e.TESSERA_LOG_LEVEL,
    env: e.NODE_ENV,
    // ── Payments on chain ──
    ...chain,
  };
}

/**
 * `npm run build` puts the dashboard in dist/dashboard. From the compiled coordinator
 * (dist/apps/coordinator/src/config) that is four levels up; from the sources (tests) it is dist/
 * under the repository root, four levels up as well.
 */
function defaultDashboardDir(): string {
  const up = resolve(__dirname, '../../../..');
  return basename(up) === 'dist' ? join(up, 'dashboard') : join(up, 'dist', 'dashboard');
}

/** A validated decimal token amount in base units (6 decimals). */
function parseTokens(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

/** A secret generated once per data directory, for single-process development setups. */
function localSecret(dataDir: string): string {
  const path = join(dataDir, 'token-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

export const COORDINATOR_CONFIG = Symbol('COORDINATOR_CONFIG');
