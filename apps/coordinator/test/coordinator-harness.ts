import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '@tessera/testing';
import { migrate, RunningCoordinator, startCoordinator } from '../src/bootstrap';
import { loadConfig } from '../src/config/config';
import { MIGRATIONS } from '../src/database/migrations';
import { JsonLogger } from '../src/logging/json-logger';

export interface TestCoordinator {
  url: string;
  db: TestDatabase;
  coordinator: RunningCoordinator;
  dataDir: string;
  get<T>(token: unknown): T;
  stop(): Promise<void>;
}

/** A fresh database copied from the migrated template (one migration run per schema version). */
export function createMigratedDatabase(prefix: string): Promise<TestDatabase> {
  // The key covers each migration's code, so editing a migration rebuilds the template.
  const key = MIGRATIONS.map((m) => `${m.name}:${m.prototype.up.toString()}`).join('\n');
  return createTestDatabase(prefix, { key, build: (url) => migrate(url) });
}

/**
 * A real coordinator in this process on the machine's PostgreSQL (a fresh database) and a temp
 * blob directory, listening on a random port.
 */
export async function startTestCoordinator(
  env: Record<string, string> = {},
  opts: { db?: TestDatabase } = {},
): Promise<TestCoordinator> {
  // A replica of another test coordinator shares its database (and must not drop it).
  const db = opts.db ?? (await createMigratedDatabase('coord'));
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-coord-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    TESSERA_PORT: '0',
    TESSERA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    // One connection, as in the embedded mode: a query that bypasses its transaction's connection
    // deadlocks here instead of only on a laptop.
    DATABASE_POOL_SIZE: '1',
    TESSERA_MIGRATE_ON_START: 'false',
    TESSERA_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    ...env,
  });
  const coordinator = await startCoordinator(config, new JsonLogger(config.logLevel));
  return {
    url: coordinator.url,
    db,
    coordinator,
    dataDir,
    get: <T>(token: unknown) => coordinator.app.get(token as never) as T,
    async stop() {
      await coordinator.close();
      if (!opts.db) await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
