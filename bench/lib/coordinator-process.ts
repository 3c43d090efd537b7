/** Runs the real, compiled coordinator as a child process, as an operator would start it. */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CoordinatorProcess {
  url: string;
  pid: number;
  /** The last lines the process wrote (for error reports). */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startCoordinator(opts: {
  distRoot: string;
  databaseUrl: string;
  poolSize: number;
  env?: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to profile the coordinator. */
  nodeArgs?: string[];
  /** Called with everything the process writes (stdout and stderr), e.g. to read its JSON logs. */
  onOutput?: (text: string) => void;
}): Promise<CoordinatorProcess> {
  const main = join(opts.distRoot, 'apps/coordinator/src/main.js');
  if (!existsSync(main)) {
    throw new Error(
      `no compiled coordinator at ${main}: run \`npm run build\` first (or set TESSERA_DIST_DIR)`,
    );
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    opts.onOutput?.(chunk.toString());
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
  };
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), main], {
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      DATABASE_POOL_SIZE: String(opts.poolSize),
      TESSERA_MIGRATE_ON_START: 'true',
      TESSERA_HOST: '127.0.0.1',
      TESSERA_PORT: String(port),
      TESSERA_DATA_DIR: dataDir,
      TESSERA_LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`the coordinator exited with code ${exited} while starting:\n${tail.join('')}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the coordinator did not become healthy within 60 s:\n${tail.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid as number, output: () => tail.join(''), stop };
}
