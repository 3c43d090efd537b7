import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm run dashboard:dev` finds a coordinator to proxy the API to. */
const api = process.env.TESSERA_URL ?? 'http://127.0.0.1:8080';

/**
 * The dashboard is static files: `vite build` writes them to dist/dashboard, which the coordinator
 * serves at `/`. JSX goes through Vite's own esbuild (no React plugin needed: no fast refresh, but
 * one dependency fewer). Unit tests (vitest) run in Node: the logic under test is plain functions.
 */
export default defineConfig({
  root: here,
  base: '/',
  publicDir: 'public',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../../dist/dashboard',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true },
      '/v1': api,
    },
  },
  test: {
    root: here,
    include: ['src/**/*.spec.{ts,tsx}'],
    environment: 'node',
  },
});
