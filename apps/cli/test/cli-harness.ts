import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo, Output } from '../src/cli-context';
import { runCli } from '../src/main';

/** Captures what the CLI writes, as a terminal (isTTY) or as a pipe. */
export class CapturedOutput implements Output {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HarnessOptions {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  cwd?: string;
  tty?: boolean;
  interrupted?: AbortSignal;
  /** Pass one in to watch the output while the command runs. */
  stdout?: CapturedOutput;
}

export function tempDir(prefix = 'tessera-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An io for calling commands directly. */
export function testIo(
  opts: HarnessOptions = {},
): CliIo & { stdout: CapturedOutput; stderr: CapturedOutput } {
  return {
    stdout: opts.stdout ?? new CapturedOutput(opts.tty ?? false),
    stderr: new CapturedOutput(opts.tty ?? false),
    env: opts.env ?? {},
    homeDir: opts.homeDir ?? tempDir('tessera-home-'),
    cwd: opts.cwd ?? tempDir(),
    now: () => new Date(),
    interrupted: opts.interrupted ?? new AbortController().signal,
  };
}

/** Runs `tessera <argv>` in-process, as a user would, with a private home and working folder. */
export async function runTessera(argv: string[], opts: HarnessOptions = {}): Promise<CliRun> {
  const io = testIo(opts);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
