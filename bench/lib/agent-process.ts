/**
 * Runs the real, compiled provider agent (`tessera-agent`) as a child process, as a provider would:
 * its own keypair (`tessera-agent init`) and work directory, Docker on this host.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AgentProcess {
  name: string;
  pid: number;
  /** The agent's public key, as the coordinator knows it (`provider.address`). */
  address: string;
  keypairPath: string;
  workDir: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** Its JSON log lines (TESSERA_AGENT_LOG_FORMAT=json), parsed; other lines are skipped. */
  logs(): Record<string, unknown>[];
  /** Graceful stop (SIGTERM: finish running tasks, then disconnect); SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

export async function startAgent(opts: {
  distRoot: string;
  coordinatorUrl: string;
  name: string;
  env?: Record<string, string>;
}): Promise<AgentProcess> {
  const cli = join(opts.distRoot, 'apps/provider-agent/src/main.js');
  if (!existsSync(cli)) {
    throw new Error(`no compiled agent at ${cli}: run \`npm run build\` first (or set TESSERA_DIST_DIR)`);
  }
  const dir = mkdtempSync(join(tmpdir(), `tessera-bench-${opts.name}-`));
  const keypairPath = join(dir, 'keypair.json');
  const workDir = join(dir, 'work');
  await run(process.execPath, [cli, 'init', '--keypair', keypairPath]);
  const address = (await run(process.execPath, [cli, 'address', '--keypair', keypairPath])).stdout.trim();

  let output = '';
  const child: ChildProcess = spawn(process.execPath, [cli, 'start'], {
    env: {
      ...process.env,
      TESSERA_COORDINATOR_URL: opts.coordinatorUrl,
      TESSERA_AGENT_KEYPAIR: keypairPath,
      TESSERA_AGENT_WORK_DIR: workDir,
      TESSERA_AGENT_NAME: opts.name,
      TESSERA_AGENT_LOG_FORMAT: 'json',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 4_000_000) output = output.slice(-2_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const stop = async (timeoutMs = 30_000) => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  while (!output.includes('connected to the coordinator')) {
    if (exited !== undefined) {
      await stop();
      throw new Error(
        `agent ${opts.name} exited with code ${exited} while starting:\n${output.slice(-4000)}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`agent ${opts.name} did not connect within 60 s:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: opts.name,
    pid: child.pid as number,
    address,
    keypairPath,
    workDir,
    output: () => output,
    logs: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    stop,
  };
}
