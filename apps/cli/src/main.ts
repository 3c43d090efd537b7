#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliIo, CommandContext, processIo } from './cli-context';
import { describeError } from './cli-error';
import { resolveConfig } from './config/cli-config';
import { cancel } from './commands/cancel';
import { download } from './commands/download';
import { jobs } from './commands/jobs';
import { render, RenderOptions } from './commands/render';
import { signup } from './commands/signup';
import { watch } from './commands/watch';
import { whoami } from './commands/whoami';

/** The `tessera` command line: wiring only; each command lives in commands/. */
function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('tessera')
    .description(
      'Tessera customer CLI: render Blender scenes on the GPU market, follow them, fetch the frames.',
    )
    .option('--url <url>', 'coordinator URL (env TESSERA_URL; default http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (env TESSERA_API_KEY; default: ~/.config/tessera/cli.json)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(run "tessera help" for usage)');

  /** Resolves the config with the global options, warns once, and runs the command. */
  const run =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: [...A, Command]) => {
      const cmd = args[args.length - 1] as Command;
      const globals = cmd.optsWithGlobals<{ url?: string; apiKey?: string }>();
      const config = resolveConfig(globals, io.env, io.homeDir);
      for (const warning of config.warnings) io.stderr.write(`warning: ${warning}\n`);
      setExitCode(await fn({ io, config }, ...(args.slice(0, -1) as A)));
    };

  program
    .command('signup')
    .description('open an account and save its API key to ~/.config/tessera/cli.json')
    .requiredOption('--name <name>', 'a display name for the account')
    .option('--force', 'replace an API key already saved in the config file')
    .action(run((ctx, opts: { name: string; force?: boolean }) => signup(ctx, opts)));

  program
    .command('whoami')
    .description('show the account behind the API key in use')
    .action(run((ctx) => whoami(ctx)));

  program
    .command('render')
    .description('upload a .blend, render it, follow the frames as they land and download them')
    .argument('<scene.blend>', 'the scene, with its assets packed')
    .option('--frames <list>', 'frames: 1-48, 1-48x2 (every 2nd), 1,5,10-12 (default: the scene range)')
    .option('--samples <n>', 'Cycles samples per pixel (default 32)')
    .option('--resolution <WxH>', 'output size, e.g. 640x360 (default: the scene resolution)')
    .option('--percentage <1-100>', "percentage of the scene's resolution, instead of --resolution")
    .option('--format <format>', 'png or exr (default png)')
    .option('--seed <n>', 'Cycles seed (default 0)')
    .option('--device <device>', 'any, cpu or gpu: where to render (default any)')
    .option('--max-price <tokens>', 'the most the whole job may cost, e.g. 12.5 (default: no cap)')
    .option('--chunk-size <n>', 'frames per task (default: chosen from an estimate)')
    .option('--name <name>', 'job name (default: the file name)')
    .option('--out <dir>', 'where the frames go (default ./<scene>-frames)')
    .option('--no-wait', 'submit and exit; print the job id')
    .option('--json', 'print the submitted job as JSON (with --no-wait, for scripts)')
    .action(run((ctx, scene: string, opts: RenderOptions) => render(ctx, scene, opts)));

  program
    .command('watch')
    .description('follow a job live until it ends (exit 0 when it completed, 1 otherwise)')
    .argument('<job>', 'job id')
    .action(run((ctx, jobId: string) => watch(ctx, jobId)));

  program
    .command('download')
    .description("download a job's frames, each verified by its SHA-256; files already there are skipped")
    .argument('<job>', 'job id')
    .option('--out <dir>', 'folder (default ./<job name>-frames)')
    .option('--archive', 'download the zip of all frames instead')
    .action(
      run((ctx, jobId: string, opts: { out?: string; archive?: boolean }) => download(ctx, jobId, opts)),
    );

  program
    .command('jobs')
    .description('your newest jobs')
    .option(
      '--state <states>',
      'only these states, comma-separated: queued, running, completed, failed, cancelled',
    )
    .option('--limit <n>', 'how many (default 20)')
    .option('--json', 'print the jobs as JSON')
    .action(run((ctx, opts: { state?: string; limit?: string; json?: boolean }) => jobs(ctx, opts)));

  program
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<job>', 'job id')
    .action(run((ctx, jobId: string) => cancel(ctx, jobId)));

  return program;
}

/**
 * Runs the CLI and returns its exit code. Every failure is printed as `error: <what to fix>` lines
 * on stderr (the coordinator's `CODE: message` where it sent one), never as a stack trace.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // Commander has already printed its own usage errors; help and --version exit with 0.
    if (error instanceof CommanderError) return error.exitCode;
    for (const line of describeError(error).split('\n')) io.stderr.write(`error: ${line}\n`);
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), processIo()).then((code) => process.exit(code));
}
