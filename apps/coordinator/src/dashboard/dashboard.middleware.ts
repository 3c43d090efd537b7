import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';

/** Paths the API owns: the dashboard never answers under them, built or not. */
const API_PATHS = ['/graphql', '/v1', '/health', '/metrics'];

export function isApiPath(path: string): boolean {
  return API_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * The page's own rules: scripts, styles and connections only from this origin (graphql-ws included),
 * images also from the object URLs thumbnails are shown through. The API key lives in localStorage,
 * so injected script must not run and the page must not be framed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Tessera</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Tessera coordinator</h1>
<p>The web dashboard is not built, so there is nothing to show here yet.</p>
<p>Build it with <code>npm run build</code> (it writes <code>dist/dashboard</code>), or point
<code>TESSERA_DASHBOARD_DIR</code> at a build.</p>
<p>The API is running: GraphQL at <a href="/graphql">/graphql</a>, blobs at <code>/v1/blobs</code>,
<a href="/health">/health</a>.</p>
</body>
</html>
`;

/**
 * Serves the built dashboard (apps/dashboard, built into dist/dashboard) at `/`: its files as they
 * are, and index.html for any other path without a file extension, so that client-side routes such
 * as /jobs/<id> load the app. API paths always pass through to the API, so a dashboard can never
 * shadow /graphql, /v1/*, /health or /metrics. Without a build, `/` explains how to make one.
 */
@Injectable()
export class DashboardMiddleware implements NestMiddleware {
  private readonly root: string | null;

  constructor(@Inject(COORDINATOR_CONFIG) config: CoordinatorConfig) {
    this.root = config.dashboard.dir;
  }

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    if (!this.root || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    // originalUrl: Nest mounts middleware on a path, which `req.path` would be relative to.
    const path = new URL(req.originalUrl, 'http://localhost').pathname;
    if (isApiPath(path)) return next();
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return next();
    }
    const segments = decoded.split('/').filter(Boolean);
    // No dotfiles, no way out of the build folder.
    if (segments.some((s) => s.startsWith('.') || s.includes('\\'))) return next();
    const file = resolve(this.root, ...segments);
    if (file !== this.root && !file.startsWith(this.root + sep)) return next();

    if (segments.length && (await isFile(file))) {
      const immutable = segments[0] === 'assets'; // Vite names these by content hash
      return this.send(res, next, file, {
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
    }
    // A missing file is a 404 from the API; any other path is a page of the app.
    if (segments.at(-1)?.includes('.')) return next();
    const index = join(this.root, 'index.html');
    if (await isFile(index)) return this.send(res, next, index, PAGE_HEADERS);
    res.status(404).type('html').set('Cache-Control', 'no-cache').send(NOT_BUILT);
  }

  private send(res: Response, next: NextFunction, file: string, headers: Record<string, string>): void {
    res.sendFile(file, { headers, cacheControl: false, dotfiles: 'deny' }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
