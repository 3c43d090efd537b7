import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The machine's PostgreSQL (CI and this dev box: 127.0.0.1:5432, trust auth). */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database per test file. With `template`, the schema is built once into a template
 * database (keyed by `template.key`, e.g. a hash of the migration names) under an advisory lock, and
 * each test database is a cheap `CREATE DATABASE … TEMPLATE` copy of it.
 */
export async function createTestDatabase(
  prefix: string,
  template?: { key: string; build: (url: string) => Promise<void> },
): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const templateName = template
    ? `tessera_tpl_${createHash('sha256').update(template.key).digest('hex').slice(0, 12)}`
    : undefined;
  await admin(async (client) => {
    if (templateName && template) {
      await client.query('SELECT pg_advisory_lock(7311)');
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
        if (exists.rowCount === 0) {
          await client.query(`CREATE DATABASE ${templateName}`);
          try {
            await template.build(withDatabase(ADMIN_DATABASE_URL, templateName));
          } catch (error) {
            await client.query(`DROP DATABASE IF EXISTS ${templateName}`);
            throw error;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(7311)');
      }
      await client.query(`CREATE DATABASE ${name} TEMPLATE ${templateName}`);
    } else {
      await client.query(`CREATE DATABASE ${name}`);
    }
  });
  const url = withDatabase(ADMIN_DATABASE_URL, name);
  return {
    url,
    name,
    drop: () =>
      admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
