/**
 * Where a bench runs: the repository, the compiled tree, throwaway PostgreSQL databases, and a
 * description of the machine for the results file.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

/** The server's maintenance database; benches create and drop their own databases through it. */
export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

/** The repository root: the nearest directory above the working directory with Tessera's package.json. */
export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/**
 * The compiled tree the coordinator is started from: TESSERA_DIST_DIR, or else the tree this bench
 * itself was compiled into (dist/bench/<name>/x.js → dist).
 */
export function distRoot(): string {
  return resolve(process.env.TESSERA_DIST_DIR ?? join(__dirname, '..', '..'));
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database named `<prefix>_<random>`. */
export async function createDatabase(prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    url: withDatabase(ADMIN_DATABASE_URL, name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  pgBoss: string;
  gitCommit: string | null;
}

export async function machineInfo(root: string): Promise<MachineInfo> {
  const [{ version }] = await adminQuery<{ version: string }>('SELECT version()');
  const settings = await adminQuery<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings
      WHERE name IN ('max_connections', 'shared_buffers', 'synchronous_commit', 'fsync', 'wal_level')`,
  );
  let pgBoss = 'unknown';
  try {
    pgBoss = (
      JSON.parse(readFileSync(join(root, 'node_modules/pg-boss/package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    // left unknown
  }
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    postgres: version,
    postgresSettings: Object.fromEntries(
      settings.map((s) => [s.name, s.unit ? `${s.setting} ${s.unit}` : s.setting]),
    ),
    pgBoss,
    gitCommit,
  };
}
