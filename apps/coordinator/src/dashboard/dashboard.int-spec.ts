import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';

const INDEX = '<!doctype html><title>Tessera</title><div id="root"></div>';

/** GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    get({ hostname, port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** A stand-in for `vite build` output: index.html, a hashed asset, a favicon and a dotfile. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, '.env'), 'SECRET=1');
  return dir;
}

describe('the dashboard at /', () => {
  describe('with a build', () => {
    let sut: TestCoordinator;
    beforeAll(async () => {
      sut = await startTestCoordinator({ TESSERA_DASHBOARD_DIR: fakeBuild() });
    });
    afterAll(() => sut?.stop());

    it('serves index.html at / and for client-side routes, with a content security policy', async () => {
      for (const path of ['/', '/jobs', '/jobs/6d1c0b1e-0000-4000-8000-000000000000', '/providers/abc/']) {
        const res = await fetch(`${sut.url}${path}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(await res.text()).toBe(INDEX);
      }
    });

    it('serves hashed assets as immutable, and other files briefly cached', async () => {
      const asset = await fetch(`${sut.url}/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect(await asset.text()).toBe('console.log("app")');
      const icon = await fetch(`${sut.url}/favicon.svg`);
      expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
    });

    it('answers HEAD like GET, without a body', async () => {
      const res = await fetch(`${sut.url}/jobs/x`, { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    });

    it('is a 404 for a missing file, never index.html', async () => {
      const res = await fetch(`${sut.url}/assets/missing-1.js`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });

    it('serves no dotfiles and nothing outside the build folder', async () => {
      for (const path of ['/.env', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f.env', '/..%5c.env']) {
        const res = await fetch(`${sut.url}${path}`);
        const text = await res.text();
        if (res.status === 200) expect(text).toBe(INDEX);
        else expect(res.status).toBe(404);
        expect(text).not.toContain('SECRET');
        expect(text).not.toContain('root:');
      }
      for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/../.env']) {
        // Dot segments are resolved like a browser would (/etc/passwd: a client-side route).
        const res = await rawGet(sut.url, path);
        if (res.status === 200) expect(res.body).toBe(INDEX);
        else expect(res.status).toBe(404);
        expect(res.body).not.toContain('root:');
        expect(res.body).not.toContain('SECRET');
      }
    });

    it('never shadows the API: /graphql, /v1/*, /health and /metrics answer as before', async () => {
      const health = await fetch(`${sut.url}/health`);
      expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
      const metrics = await fetch(`${sut.url}/metrics`);
      expect(await metrics.text()).toContain('tessera_');
      const blob = await fetch(`${sut.url}/v1/blobs/${'0'.repeat(64)}`);
      expect(blob.status).toBe(401);
      expect(await blob.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
      const unknown = await fetch(`${sut.url}/v1/nothing-here`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/json/);
      const gql = await fetch(`${sut.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ marketPrices { currency } }' }),
      });
      expect(await gql.json()).toEqual({ data: { marketPrices: { currency: 'TSR' } } });
    });
  });

  it('explains how to build the dashboard when there is no build, and the API still works', async () => {
    const sut = await startTestCoordinator({ TESSERA_DASHBOARD_DIR: join(tmpdir(), 'no-dashboard-here') });
    try {
      for (const path of ['/', '/jobs/1']) {
        const res = await fetch(`${sut.url}${path}`);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const text = await res.text();
        expect(text).toContain('The web dashboard is not built');
        expect(text).toContain('npm run build');
      }
      expect((await fetch(`${sut.url}/health`)).status).toBe(200);
    } finally {
      await sut.stop();
    }
  });

  it('serves nothing at / when switched off', async () => {
    const sut = await startTestCoordinator({ TESSERA_DASHBOARD_DIR: 'off' });
    try {
      const res = await fetch(`${sut.url}/`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    } finally {
      await sut.stop();
    }
  });
});
