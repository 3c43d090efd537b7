import 'reflect-metadata';
import { INestApplication, LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { CoordinatorConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { LedgerRepository } from './ledger/ledger.repository';
import type { InvariantReport } from './ledger/ledger.types';

export interface RunningCoordinator {
  app: INestApplication;
  databaseUrl: string;
  url: string;
  close(): Promise<void>;
}

/** Applies pending migrations with a short-lived connection (a deploy step, or start-up when embedded). */
export async function migrate(databaseUrl: string, logger?: LoggerService): Promise<void> {
  const ds = new DataSource(dataSourceOptions(databaseUrl, 1));
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    for (const m of applied) logger?.log({ msg: 'migration applied', name: m.name }, 'Database');
  } finally {
    await ds.destroy();
  }
}

/**
 * Starts a coordinator: the database (configured or embedded), migrations when configured, the Nest
 * app, and the HTTP listener. Used by main.ts and by tests that want a real coordinator in-process.
 */
export async function startCoordinator(
  config: CoordinatorConfig,
  logger: LoggerService,
): Promise<RunningCoordinator> {
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir);
  if (embedded) logger.log({ msg: 'using the embedded database', dir: config.dataDir }, 'Database');
  const databaseUrl = config.database.url ?? (embedded?.url as string);
  try {
    // The embedded database serves one connection at a time (see startEmbeddedPostgres), so
    // migrations run on the app's own connection rather than a separate one.
    const poolSize = embedded ? 1 : config.database.poolSize;
    const app = await NestFactory.create(AppModule.forRoot(config, databaseUrl, poolSize), {
      logger,
      bufferLogs: false,
    });
    app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }));
    app.enableShutdownHooks();
    // Idle keep-alive connections outlive the clients' own idle timeouts (Node's fetch keeps one
    // for 4 s): a server that closes first races a client reusing the socket, and that request fails
    // with "other side closed" (seen under load in the e2e tests).
    const server = app.getHttpServer() as import('node:http').Server;
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await app.listen(config.port, config.host);
    const address = server.address() as { port: number };
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
    return {
      app,
      databaseUrl,
      url,
      async close() {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/**
 * `tessera-coordinator ledger-check`: whether the books balance (every journal sums to zero, every
 * balance equals its entries, all accounts together sum to zero), on the configured database or the
 * embedded one in the data directory (stop the coordinator first: the embedded database has one user).
 */
export async function checkLedger(config: CoordinatorConfig): Promise<InvariantReport> {
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres(config.dataDir);
  const ds = new DataSource(dataSourceOptions(config.database.url ?? (embedded?.url as string), 1));
  await ds.initialize();
  try {
    return await new LedgerRepository(ds).checkInvariant();
  } finally {
    await ds.destroy();
    await embedded?.stop();
  }
}
