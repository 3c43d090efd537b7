import { homedir } from 'node:os';
import type { CliConfig } from './config/cli-config';

/** Where text goes: a terminal (redrawn progress lines) or a pipe/file (plain lines only). */
export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width; 80 when unknown. */
  readonly columns: number;
}

/** Everything a command reads from or writes to the outside world besides the network. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  cwd: string;
  now(): Date;
  /** Aborts when the user interrupts (Ctrl-C): long commands stop and say how to resume. */
  interrupted: AbortSignal;
}

/** What every command receives: the world and the resolved configuration. */
export interface CommandContext {
  io: CliIo;
  config: CliConfig;
}

function outputOf(stream: NodeJS.WriteStream): Output {
  return {
    write: (text) => void stream.write(text),
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns || 80;
    },
  };
}

/** The real process: its streams, environment and home folder; SIGINT aborts `interrupted`. */
export function processIo(): CliIo {
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  return {
    stdout: outputOf(process.stdout),
    stderr: outputOf(process.stderr),
    env: process.env,
    homeDir: homedir(),
    cwd: process.cwd(),
    now: () => new Date(),
    interrupted: interrupt.signal,
  };
}
