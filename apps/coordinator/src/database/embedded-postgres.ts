import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), persisted under `<dataDir>/pgdata` and served on a
 * loopback port over the ordinary wire protocol, so the coordinator uses the same `pg` driver, SQL
 * and migrations as in production.
 *
 * PGlite is a single session: two connections would interleave their transactions (a trial saw 160
 * claims of 40 tasks that way). The socket server admits one connection at a time and the caller
 * must use a pool of exactly one connection, which serialises transactions and keeps
 * `FOR UPDATE SKIP LOCKED` claims exact. Fine for a laptop; production uses real PostgreSQL.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const [host, port] = server.getServerConn().split(':');
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
