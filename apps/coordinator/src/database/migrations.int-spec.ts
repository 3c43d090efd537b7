import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@tessera/testing';
import { dataSourceOptions } from './data-source';
import { MIGRATIONS } from './migrations';

describe('migrations', () => {
  let db: TestDatabase;
  let sut: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('migrations');
    sut = new DataSource(dataSourceOptions(db.url, 2));
    await sut.initialize();
  });
  afterAll(async () => {
    await sut.destroy();
    await db.drop();
  });

  it('build a schema that matches the entities exactly (nothing left for synchronize to do)', async () => {
    await sut.runMigrations();
    const pending = await sut.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('create the partial indexes the claim query relies on', async () => {
    const rows: { indexname: string }[] = await sut.query(
      `SELECT indexname FROM pg_indexes WHERE tablename IN ('task', 'attempt')`,
    );
    expect(rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['task_queue_idx', 'task_queue_image_idx', 'attempt_live_lease_idx']),
    );
  });

  it('roll back completely', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await sut.undoLastMigration();
    const functions: unknown[] = await sut.query(
      `SELECT proname FROM pg_proc WHERE proname LIKE 'tessera_%'`,
    );
    expect(functions).toEqual([]);
    const tables: { tablename: string }[] = await sut.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
    );
    expect(tables).toEqual([]);
  });
});
