import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-'));

  it('applies defaults: embedded database with migrations on start, local blob dir', () => {
    const sut = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(sut.port).toBe(8080);
    expect(sut.database.url).toBeUndefined();
    expect(sut.database.migrateOnStart).toBe(true);
    expect(sut.blobs.dir).toBe(join(dataDir, 'blobs'));
    expect(sut.workloads.allowedImages).toEqual(['tessera/toolbox:1']);
    expect(sut.auth.tokenSecret).toHaveLength(64);
  });

  it('keeps the generated token secret across restarts', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).auth.tokenSecret).toBe(
      loadConfig({ TESSERA_DATA_DIR: dataDir }).auth.tokenSecret,
    );
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ TESSERA_PORT: 'eighty', DATABASE_URL: 'mysql://x', TESSERA_LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('TESSERA_PORT="eighty"');
    expect(message).toContain('DATABASE_URL="mysql://x"');
    expect(message).toContain('TESSERA_LOG_LEVEL="loud"');
  });

  it('refuses a heartbeat interval that would let leases lapse', () => {
    expect(() =>
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_LEASE_TTL_SEC: '10', TESSERA_HEARTBEAT_SEC: '8' }),
    ).toThrow(/TESSERA_HEARTBEAT_SEC=8/);
  });

  it('demands a shared token secret and a real database in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TESSERA_TOKEN_SECRET[\s\S]*DATABASE_URL/);
  });

  it('parses the image allow-list', () => {
    const sut = loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_ALLOWED_IMAGES: 'a:1, b:2 ,' });
    expect(sut.workloads.allowedImages).toEqual(['a:1', 'b:2']);
  });

  it('serves the dashboard from dist/dashboard unless told otherwise, and none when off', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).dashboard.dir).toBe(
      resolve(__dirname, '../../../../dist/dashboard'),
    );
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_DASHBOARD_DIR: '/srv/ui' }).dashboard.dir).toBe(
      '/srv/ui',
    );
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_DASHBOARD_DIR: 'off' }).dashboard.dir).toBeNull();
  });
});
