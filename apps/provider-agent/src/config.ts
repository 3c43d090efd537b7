import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const EnvSchema = z.object({
  TESSERA_COORDINATOR_URL: z.url().default('http://127.0.0.1:8080'),
  TESSERA_AGENT_KEYPAIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.config', 'tessera', 'agent-keypair.json')),
  TESSERA_AGENT_WORK_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.cache', 'tessera-agent')),
  TESSERA_AGENT_NAME: z.string().min(1).max(100).default(hostname()),
  /**
   * The Solana wallet that owns this machine and is paid for its work; unset: the agent keypair's own
   * address. Several machines of one owner share it (and never spot-check each other).
   */
  TESSERA_AGENT_OWNER: z
    .string()
    .regex(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/, 'a base58 Solana address')
    .optional(),
  TESSERA_AGENT_SLOTS: z.coerce.number().int().min(1).max(64).default(1),
  /** Kinds to offer; a kind whose worker image is not on this host is left out (see runnableKinds). */
  TESSERA_AGENT_KINDS: list.default(['container', 'render', 'inference']),
  /** Images this machine will run, whatever the coordinator asks: exact refs or `prefix*`. */
  TESSERA_AGENT_ALLOWED_IMAGES: list.default(['tessera/*']),
  /**
   * Pull missing images from a registry. Off by default: a pull by name trusts whoever owns that name
   * on the registry, so operators opt in once they point the allow-list at a registry they trust.
   */
  TESSERA_AGENT_PULL_IMAGES: z.enum(['true', 'false']).default('false'),
  TESSERA_AGENT_STOP_GRACE_SEC: z.coerce.number().int().min(0).max(3600).default(10),
  /**
   * Disk for the blob cache under the work directory (inputs kept across tasks, such as an inference
   * model; claims list them so such tasks come here first). 0 turns it off.
   */
  TESSERA_AGENT_BLOB_CACHE_MB: z.coerce
    .number()
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .default(4096),
  TESSERA_AGENT_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  TESSERA_AGENT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export interface AgentConfig {
  coordinatorUrl: string;
  keypairPath: string;
  workDir: string;
  name: string;
  owner?: string;
  slots: number;
  kinds: string[];
  allowedImages: string[];
  pullImages: boolean;
  stopGraceMs: number;
  /** Budget of the blob cache in `<workDir>/blobs`; 0 when it is off. */
  blobCacheBytes: number;
  logFormat: 'json' | 'pretty';
  logLevel: string;
}

/** Command-line flags override the environment; every bad value is reported at once. */
export function loadAgentConfig(
  env: NodeJS.ProcessEnv,
  flags: Partial<Record<string, string>> = {},
): AgentConfig {
  const merged = { ...env, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `  - ${String(i.path[0])}=${JSON.stringify(merged[String(i.path[0])] ?? '')}: ${i.message}`,
    );
    throw new Error(`invalid agent configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return {
    coordinatorUrl: e.TESSERA_COORDINATOR_URL,
    keypairPath: resolve(e.TESSERA_AGENT_KEYPAIR),
    workDir: resolve(e.TESSERA_AGENT_WORK_DIR),
    name: e.TESSERA_AGENT_NAME,
    owner: e.TESSERA_AGENT_OWNER,
    slots: e.TESSERA_AGENT_SLOTS,
    kinds: e.TESSERA_AGENT_KINDS,
    allowedImages: e.TESSERA_AGENT_ALLOWED_IMAGES,
    pullImages: e.TESSERA_AGENT_PULL_IMAGES === 'true',
    stopGraceMs: e.TESSERA_AGENT_STOP_GRACE_SEC * 1000,
    blobCacheBytes: e.TESSERA_AGENT_BLOB_CACHE_MB * 2 ** 20,
    logFormat: e.TESSERA_AGENT_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
    logLevel: e.TESSERA_AGENT_LOG_LEVEL,
  };
}
