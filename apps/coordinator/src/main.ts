#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/config';
import { JsonLogger } from './logging/json-logger';
import { checkLedger, startCoordinator } from './bootstrap';
import { formatTsr } from './ledger/amount';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tessera-coordinator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (process.argv[2] === 'ledger-check') {
    const report = await checkLedger(config);
    process.stdout.write(
      `${report.ok ? 'ledger OK' : 'LEDGER INCONSISTENT'}: ${report.accounts} accounts, ${report.journals} journals, ` +
        `${report.entries} entries; entries sum to ${formatTsr(report.entriesTotal)}, balances to ${formatTsr(report.balancesTotal)}\n`,
    );
    for (const j of report.unbalancedJournals)
      process.stdout.write(`  journal ${j.idempotencyKey} sums to ${formatTsr(j.sum)}\n`);
    for (const a of report.mismatchedAccounts)
      process.stdout.write(
        `  ${a.account}: balance ${formatTsr(a.balance)}, entries ${formatTsr(a.entriesSum)}\n`,
      );
    process.exit(report.ok ? 0 : 1);
  }
  const logger = new JsonLogger(config.logLevel);
  const coordinator = await startCoordinator(config, logger);
  logger.log(
    {
      msg: 'coordinator listening',
      url: config.publicUrl ?? coordinator.url,
      graphql: `${coordinator.url}/graphql`,
    },
    'Main',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal }, 'Main');
    // Connections drain and in-flight requests finish; a stuck one must not keep the process alive.
    const force = setTimeout(() => {
      logger.error({ msg: 'shutdown took longer than 15 s; exiting anyway' }, 'Main');
      process.exit(1);
    }, 15_000);
    force.unref();
    await coordinator.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tessera-coordinator: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
