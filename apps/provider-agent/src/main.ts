#!/usr/bin/env node
import { join } from 'node:path';
import Docker from 'dockerode';
import { Command } from 'commander';
import { ProviderAgent } from './agent';
import { BlobCache } from './blobs/blob-cache';
import { BlobClient } from './blobs/blob-client';
import { probeCapabilities } from './capabilities/probe';
import { AgentConfig, loadAgentConfig } from './config';
import { CoordinatorConnection, FatalConnectionError } from './connection/coordinator-connection';
import { formatDoctorReport, runDoctor } from './doctor/doctor';
import { EarningsError, fetchEarnings, formatEarnings } from './earnings/earnings';
import { createKeypairFile, loadKeypair } from './identity/keypair-file';
import { createAgentLogger } from './logger';
import { DockerRunner } from '@tessera/sandbox';
import { AGENT_VERSION } from './version';

interface CommonFlags {
  coordinator?: string;
  keypair?: string;
  workDir?: string;
  name?: string;
  owner?: string;
  slots?: string;
  kinds?: string;
  allowImages?: string;
}

function configFrom(flags: CommonFlags): AgentConfig {
  return loadAgentConfig(process.env, {
    TESSERA_COORDINATOR_URL: flags.coordinator,
    TESSERA_AGENT_KEYPAIR: flags.keypair,
    TESSERA_AGENT_WORK_DIR: flags.workDir,
    TESSERA_AGENT_NAME: flags.name,
    TESSERA_AGENT_OWNER: flags.owner,
    TESSERA_AGENT_SLOTS: flags.slots,
    TESSERA_AGENT_KINDS: flags.kinds,
    TESSERA_AGENT_ALLOWED_IMAGES: flags.allowImages,
  });
}

async function start(config: AgentConfig): Promise<void> {
  const logger = createAgentLogger(config.logFormat, config.logLevel);
  const keypair = await loadKeypair(config.keypairPath);
  // No pinned API version: the daemon's own works on Docker 20.10 (≤ 1.41) and 29+ (≥ 1.44).
  const docker = new Docker();
  // Every container carries this agent's address, so that at start-up it removes only what an
  // earlier run of *this* agent left behind: several agents (or a coordinator's scene inspector)
  // may share one Docker host, and their containers are not ours to touch.
  const runtime = new DockerRunner(docker, { labels: { 'tessera.agent': keypair.address } });
  await runtime.removeStale();
  const capabilities = () =>
    probeCapabilities({ docker, kinds: config.kinds, slots: config.slots, workDir: config.workDir });
  const probed = await capabilities();
  if (probed.gpus.length === 0) logger.warn('no NVIDIA GPU found: taking CPU work only');
  const connection = new CoordinatorConnection({
    coordinatorUrl: config.coordinatorUrl,
    keypair,
    agent: { version: AGENT_VERSION, name: config.name },
    owner: config.owner,
    capabilities,
    logger,
  });
  const blobs = new BlobClient(config.coordinatorUrl, () => connection.blobToken);
  const cache = await BlobCache.open({
    dir: join(config.workDir, 'blobs'),
    maxBytes: config.blobCacheBytes,
    fetch: (sha256, size, destination) => blobs.download(sha256, size, destination),
    logger,
  });
  const agent = new ProviderAgent({
    connection,
    runtime,
    blobs,
    cache,
    logger,
    workDir: config.workDir,
    slots: config.slots,
    allowedImages: config.allowedImages,
    pullImages: config.pullImages,
    gpuAvailable: probed.gpus.length > 0,
    stopGraceMs: config.stopGraceMs,
  });
  logger.info(
    {
      address: keypair.address,
      owner: config.owner ?? keypair.address,
      coordinator: config.coordinatorUrl,
      slots: config.slots,
      kinds: config.kinds,
    },
    'agent starting',
  );
  connection.on('fatal', (error: FatalConnectionError) => {
    logger.fatal({ code: error.code }, error.message);
    void agent.cancel('the coordinator refused this agent').finally(() => process.exit(3));
  });
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals === 1) {
      logger.info({ signal }, 'stopping after running tasks finish (send again to cancel them)');
      void agent.stop().then(() => process.exit(0));
    } else {
      logger.warn({ signal }, 'cancelling running tasks');
      void agent.cancel().then(() => process.exit(0));
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  agent.start();
}

function main(): void {
  const program = new Command('tessera-agent')
    .description('Tessera provider agent: sell your GPU (or CPU) time by running sandboxed jobs.')
    .version(AGENT_VERSION);
  const common = (cmd: Command) =>
    cmd
      .option('--coordinator <url>', 'coordinator base URL (env TESSERA_COORDINATOR_URL)')
      .option('--keypair <path>', 'Solana keypair file (env TESSERA_AGENT_KEYPAIR)')
      .option('--work-dir <path>', 'scratch space for task inputs and outputs (env TESSERA_AGENT_WORK_DIR)');

  program
    .command('init')
    .description("create this machine's identity: an ed25519 (Solana) keypair that also receives payouts")
    .option('--keypair <path>', 'where to write it (env TESSERA_AGENT_KEYPAIR)')
    .option('--force', 'replace an existing keypair (its earnings address is lost)')
    .action(async (flags: { keypair?: string; force?: boolean }) => {
      const config = configFrom(flags);
      const keypair = await createKeypairFile(config.keypairPath, flags.force);
      process.stdout.write(
        `created ${config.keypairPath}\naddress: ${keypair.address}\nnext: tessera-agent doctor\n`,
      );
    });

  program
    .command('address')
    .description('print the provider address (where payouts go)')
    .option('--keypair <path>', 'keypair file')
    .action(async (flags: { keypair?: string }) => {
      process.stdout.write(`${(await loadKeypair(configFrom(flags).keypairPath)).address}\n`);
    });

  program
    .command('earnings')
    .description(
      "what this machine earned and the payouts to its owner's wallet (the coordinator's public record)",
    )
    .option('--coordinator <url>', 'coordinator base URL (env TESSERA_COORDINATOR_URL)')
    .option('--keypair <path>', 'keypair file (env TESSERA_AGENT_KEYPAIR)')
    .option('--limit <n>', 'payouts to list (default 10)')
    .option('--json', 'print the record as JSON')
    .action(async (flags: CommonFlags & { limit?: string; json?: boolean }) => {
      const config = configFrom(flags);
      const { address } = await loadKeypair(config.keypairPath);
      const limit = Math.min(Math.max(Number(flags.limit ?? 10) || 10, 1), 500);
      try {
        const view = await fetchEarnings(config.coordinatorUrl, address, limit);
        process.stdout.write(flags.json ? `${JSON.stringify(view, null, 2)}\n` : formatEarnings(view));
      } catch (error) {
        if (!(error instanceof EarningsError)) throw error;
        process.stderr.write(`tessera-agent: ${error.message}\n`);
        process.exitCode = 1;
      }
    });

  common(program.command('doctor'))
    .description(
      'pre-flight checks: Docker, the sandbox, GPUs, disk, identity; each failure says how to fix it',
    )
    .action(async (flags: CommonFlags) => {
      const config = configFrom(flags);
      const report = await runDoctor({
        docker: new Docker(),
        keypairPath: config.keypairPath,
        workDir: config.workDir,
        coordinatorUrl: flags.coordinator ? config.coordinatorUrl : undefined,
      });
      process.stdout.write(`${formatDoctorReport(report)}\n`);
      process.exitCode = report.checks.some((c) => c.status === 'fail') ? 1 : 0;
    });

  common(program.command('start'))
    .description(
      'connect to the coordinator and run work until stopped (SIGTERM: finish and stop; twice: cancel)',
    )
    .option('--name <name>', 'a name shown to customers (env TESSERA_AGENT_NAME)')
    .option(
      '--owner <address>',
      "the Solana wallet that owns this machine and is paid for it (env TESSERA_AGENT_OWNER; default: the keypair's address)",
    )
    .option('--slots <n>', 'tasks to run at once (env TESSERA_AGENT_SLOTS)')
    .option('--kinds <list>', 'job kinds to accept, comma-separated (env TESSERA_AGENT_KINDS)')
    .option(
      '--allow-images <list>',
      'images this machine runs: refs or prefixes ending in * (env TESSERA_AGENT_ALLOWED_IMAGES)',
    )
    .action(async (flags: CommonFlags) => start(configFrom(flags)));

  program.parseAsync(process.argv).catch((error: unknown) => {
    process.stderr.write(`tessera-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

main();
