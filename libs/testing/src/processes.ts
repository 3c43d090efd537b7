import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { ChainInfo } from '@tessera/chain';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repository root (this file is libs/testing/src/processes.ts, or its compiled copy under dist/). */
export const REPO_ROOT = resolve(
  __dirname,
  __dirname.includes(`${join('dist', 'libs')}`) ? '../../../..' : '../../..',
);
const DIST = process.env.TESSERA_DIST ?? join(REPO_ROOT, 'dist');

export function distPath(relative: string): string {
  const path = join(DIST, relative);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A child process as a user would run it, with its output kept for assertions and diagnosis. */
export class ManagedProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.append(d));
    child.stderr?.on('data', (d: Buffer) => this.append(d));
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit(signal ? null : code)),
    );
  }

  private append(data: Buffer): void {
    this.output += data.toString('utf8');
    if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    if (process.env.TEST_PROCESS_OUTPUT === '1')
      process.stderr.write(`[${this.name}] ${data.toString('utf8')}`);
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(this.output);
      if (match) return match[0];
      if (!this.running)
        throw new Error(
          `${this.name} exited before logging ${pattern}; output:\n${this.output.slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${this.name} did not log ${pattern} within ${timeoutMs} ms; output:\n${this.output.slice(-4000)}`,
    );
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** kill -9: no cleanup, no goodbye. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export interface CoordinatorProcess extends ManagedProcess {
  url: string;
  port: number;
}

/** Starts `node dist/apps/coordinator/src/main.js` and waits until /health answers. */
export async function spawnCoordinator(
  env: Record<string, string>,
  port?: number,
): Promise<CoordinatorProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [distPath('apps/coordinator/src/main.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TESSERA_PORT: String(chosen),
      TESSERA_LOG_LEVEL: 'info',
      TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-coordinator-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new ManagedProcess('coordinator', child) as CoordinatorProcess;
  proc.port = chosen;
  proc.url = `http://127.0.0.1:${chosen}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${proc.url}/health`);
      if (res.ok) return proc;
    } catch {
      // not listening yet
    }
    if (!proc.running) throw new Error(`the coordinator exited during start-up:\n${proc.logs.slice(-4000)}`);
    if (Date.now() > deadline)
      throw new Error(`the coordinator did not become healthy:\n${proc.logs.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface AgentProcess extends ManagedProcess {
  address: string;
  keypairPath: string;
  workDir: string;
}

/** Creates a keypair with `tessera-agent init` (unless given) and runs `tessera-agent start`. */
export async function spawnAgent(opts: {
  coordinatorUrl: string;
  name: string;
  keypairPath?: string;
  env?: Record<string, string>;
}): Promise<AgentProcess> {
  const dir = mkdtempSync(join(tmpdir(), `tessera-${opts.name}-`));
  const keypairPath = opts.keypairPath ?? join(dir, 'keypair.json');
  const cli = distPath('apps/provider-agent/src/main.js');
  if (!existsSync(keypairPath)) {
    const init = new ManagedProcess(
      'init',
      spawn(process.execPath, [cli, 'init', '--keypair', keypairPath], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    if ((await init.exited) !== 0) throw new Error(`tessera-agent init failed:\n${init.logs}`);
  }
  const address = (await runCli(cli, ['address', '--keypair', keypairPath])).trim();
  const workDir = join(dir, 'work');
  const child = spawn(process.execPath, [cli, 'start'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TESSERA_COORDINATOR_URL: opts.coordinatorUrl,
      TESSERA_AGENT_KEYPAIR: keypairPath,
      TESSERA_AGENT_WORK_DIR: workDir,
      TESSERA_AGENT_NAME: opts.name,
      TESSERA_AGENT_LOG_FORMAT: 'json',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new ManagedProcess(opts.name, child) as AgentProcess;
  proc.address = address;
  proc.keypairPath = keypairPath;
  proc.workDir = workDir;
  await proc.waitForLog(/connected to the coordinator/, 60_000);
  return proc;
}

async function runCli(cli: string, args: string[]): Promise<string> {
  const proc = new ManagedProcess(
    'cli',
    spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const code = await proc.exited;
  if (code !== 0) throw new Error(`tessera-agent ${args.join(' ')} failed:\n${proc.logs}`);
  return proc.logs;
}

export interface ChainProcess extends ManagedProcess {
  rpcUrl: string;
  /** chain.json: mint, treasury and the keypair files (see libs/chain README). */
  info: ChainInfo;
}

/**
 * Starts the local chain as its own process (`node dist/libs/chain/src/main.js`), so that it outlives
 * coordinators a test kills; resolves once chain.json is written.
 */
export async function spawnLocalChain(opts: { outDir: string; slotMs?: number }): Promise<ChainProcess> {
  const port = await freeRpcPort();
  const child = spawn(
    process.execPath,
    [
      distPath('libs/chain/src/main.js'),
      '--port',
      String(port),
      '--out',
      opts.outDir,
      '--slot-ms',
      String(opts.slotMs ?? 50),
      '--no-persist',
    ],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const proc = new ManagedProcess('chain', child) as ChainProcess;
  await proc.waitForLog(/chain\.json\s+\S+/, 60_000);
  proc.info = JSON.parse(readFileSync(join(opts.outDir, 'chain.json'), 'utf8')) as ChainInfo;
  proc.rpcUrl = proc.info.rpcUrl;
  return proc;
}

/** A free port whose successor is free too (the chain's PubSub listens on port + 1). */
async function freeRpcPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    if (port < 65535) {
      const next = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        next.once('error', () => resolve(false));
        next.listen(port + 1, '127.0.0.1', () => resolve(true));
      });
      if (ok) {
        await new Promise((resolve) => next.close(resolve));
        return port;
      }
    }
  }
  throw new Error('no free pair of ports for the local chain');
}
