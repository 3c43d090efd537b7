#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliIo, CommandContext, processIo } from './cli-context';
import { describeError } from './cli-error';
import { resolveConfig } from './config/cli-config';
import { balance } from './commands/balance';
import { cancel } from './commands/cancel';
import type { DepositOptions } from './commands/deposit';
import { download } from './commands/download';
import { infer, InferOptions } from './commands/infer';
import { jobs } from './commands/jobs';
import { models, modelsRegister, RegisterOptions } from './commands/models';
import { render, RenderOptions } from './commands/render';
import { signup } from './commands/signup';
import { watch } from './commands/watch';
import { whoami } from './commands/whoami';

/** The `tessera` command line: wiring only; each command lives in commands/. */
function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('tessera')
    .description(
      'Tessera customer CLI: render Blender scenes and run ONNX inference batches on the GPU market, follow them, fetch the results.',
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

  const modelsCommand = program
    .command('models')
    .description('your registered ONNX models; "models register MODEL.onnx" adds one');

  // The default subcommand, so that `tessera models --json` lists and `models register … --json`
  // reaches register (an option on `models` itself would swallow it).
  modelsCommand
    .command('list', { isDefault: true })
    .description('your registered models (id, name, signature, batch size, ms/row), newest first')
    .option('--json', 'print the models as JSON')
    .action(run((ctx, opts: { json?: boolean }) => models(ctx, opts)));

  modelsCommand
    .command('register')
    .description('upload an ONNX model (and its labels file) and register it, with its config')
    .argument('<model.onnx>', 'the model file')
    .option('--name <name>', "model name, unique in your account (default: the config's, else the file name)")
    .option(
      '--config <file.json>',
      'name, batchSize, inputs, outputs, preprocess, postprocess, labels (default: MODEL.onnx.json or MODEL.json beside it)',
    )
    .option('--json', 'print the registered model as JSON')
    .action(run((ctx, file: string, opts: RegisterOptions) => modelsRegister(ctx, file, opts)));

  program
    .command('infer')
    .description('run a JSONL batch of rows through a model, follow it live and download the outputs')
    .requiredOption(
      '--model <model>',
      'a .onnx file (registered on the fly from its config), a model id or name',
    )
    .requiredOption(
      '--input <rows.jsonl>',
      'one JSON row per line: {"id"?, "image": "<PNG/JPEG path or SHA-256>"} or {"id"?, "inputs": {…}}',
    )
    .option('--out <file>', 'where the outputs JSONL goes (default ./<input name>.out.jsonl)')
    .option('--config <file.json>', 'the config for registering a .onnx (default: MODEL.onnx.json beside it)')
    .option('--shard-rows <n>', "rows per task (default: sized from the model's speed)")
    .option('--device <device>', 'any, cpu or gpu: where to run (default any)')
    .option('--max-price <tokens>', 'the most the whole batch may cost, e.g. 2.5 (default: no cap)')
    .option('--name <name>', 'job name (default: the input file name)')
    .option('--no-wait', 'submit and exit; print the job id')
    .option('--json', 'print JSON for scripts: the submitted job with --no-wait, else the final summary')
    .action(run((ctx, opts: InferOptions) => infer(ctx, opts)));

  program
    .command('watch')
    .description('follow a job live until it ends (exit 0 when it completed, 1 otherwise)')
    .argument('<job>', 'job id')
    .action(run((ctx, jobId: string) => watch(ctx, jobId)));

  program
    .command('download')
    .description(
      "download a job's frames, each verified by its SHA-256 (files already there are skipped), or an inference batch's outputs JSONL",
    )
    .argument('<job>', 'job id')
    .option(
      '--out <dir>',
      'folder (default ./<job name>-frames); for an inference batch, the file (default ./<job name>.out.jsonl)',
    )
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

  program
    .command('deposit')
    .description(
      "send tokens to the coordinator's treasury with the memo naming your account, wait until final, and have them credited",
    )
    .argument('[amount]', 'tokens to deposit, e.g. 25 or 12.5')
    .option(
      '--wallet <keypair.json>',
      'the Solana keypair file that pays (default on the local cluster: ~/.config/tessera/wallet.json, created and funded with test tokens)',
    )
    .option('--rpc-url <url>', 'send through this Solana RPC instead of the one the coordinator names')
    .option(
      '--confirm <signature>',
      'credit a transfer already sent (from another wallet, or an interrupted run)',
    )
    .option('--json', 'print the credited deposit as JSON')
    .action(
      run((ctx, amount: string | undefined, opts: DepositOptions) => {
        // Loaded on use: web3.js and the SPL programs are needed by this command only.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { deposit } = require('./commands/deposit') as typeof import('./commands/deposit');
        return deposit(ctx, amount, opts);
      }),
    );

  program
    .command('balance')
    .description('your token balance (available, and reserved by running jobs) and your latest deposits')
    .option('--limit <n>', 'deposits to list (default 10)')
    .option('--json', 'print balance and deposits as JSON')
    .action(run((ctx, opts: { json?: boolean; limit?: string }) => balance(ctx, opts)));

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
