#!/usr/bin/env node
import { Command } from 'commander';
import { LITESVM_VERSION } from './constants';
import { loadChainConfig } from './cli/chain-config';
import { ChainInfo, runChain } from './cli/run-chain';

interface Flags {
  port?: string;
  host?: string;
  slotMs?: string;
  finalityDepth?: string;
  out?: string;
  decimals?: string;
  persist?: boolean;
}

function describe(info: ChainInfo, ledgerDir: string | null, restored: boolean): string {
  const ledger = ledgerDir
    ? `${ledgerDir} (${restored ? 'restored' : 'new'})`
    : 'none (starts empty every time)';
  return [
    `Tessera local chain (LiteSVM ${LITESVM_VERSION})`,
    `  RPC                     ${info.rpcUrl}`,
    `  WebSocket               ${info.wsUrl}`,
    `  Mint                    ${info.mint} (${info.decimals} decimals)`,
    `  Treasury                ${info.treasury}`,
    `  Treasury token account  ${info.treasuryTokenAccount}`,
    `  Treasury keypair        ${info.treasuryKeypairPath}`,
    `  Mint authority keypair  ${info.mintAuthorityKeypairPath}`,
    `  Ledger                  ${ledger}`,
  ].join('\n');
}

const program = new Command('tessera-chain')
  .description(
    'Runs a local Solana chain (LiteSVM behind JSON-RPC and PubSub) with a Tessera token and treasury.',
  )
  .option('--port <port>', 'JSON-RPC port; PubSub listens on port + 1 (TESSERA_CHAIN_PORT, default 8899)')
  .option('--host <host>', 'address to listen on (TESSERA_CHAIN_HOST, default 127.0.0.1)')
  .option('--slot-ms <ms>', 'slot length (TESSERA_CHAIN_SLOT_MS, default 400)')
  .option(
    '--finality-depth <slots>',
    'slots until a transaction is finalized (TESSERA_CHAIN_FINALITY_DEPTH, default 2)',
  )
  .option(
    '--out <dir>',
    'where keypairs, chain.json and the ledger go (TESSERA_CHAIN_OUT, default .tessera/chain)',
  )
  .option('--decimals <n>', 'decimals of a new token (TESSERA_CHAIN_DECIMALS, default 6)')
  .option('--no-persist', 'keep no ledger: start empty every time')
  .action(async (flags: Flags) => {
    const config = loadChainConfig(process.env, {
      TESSERA_CHAIN_PORT: flags.port,
      TESSERA_CHAIN_HOST: flags.host,
      TESSERA_CHAIN_SLOT_MS: flags.slotMs,
      TESSERA_CHAIN_FINALITY_DEPTH: flags.finalityDepth,
      TESSERA_CHAIN_OUT: flags.out,
      TESSERA_CHAIN_DECIMALS: flags.decimals,
      TESSERA_CHAIN_PERSIST: flags.persist === false ? 'false' : undefined,
    });
    const { chain, info } = await runChain(config);
    console.log(describe(info, config.ledgerDir, chain.restored));
    console.log(`  chain.json              ${config.outDir}/chain.json`);
    const stop = (signal: string) => {
      console.log(`${signal}: stopping${config.ledgerDir ? ' and saving the ledger' : ''}`);
      chain.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
