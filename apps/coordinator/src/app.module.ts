import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from './accounts/accounts.module';
import { ActorMiddleware } from './auth/actor.middleware';
import { AuthModule } from './auth/auth.module';
import { AuthService } from './auth/auth.service';
import { BlobsModule } from './blobs/blobs.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { CoordinatorConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { dataSourceOptions } from './database/data-source';
import { EventsModule } from './events/events.module';
import { GatewayModule } from './gateway/gateway.module';
import { graphqlOptions } from './graphql/graphql.options';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { JobsService } from './jobs/jobs.service';
import { LedgerModule } from './ledger/ledger.module';
import { MarketModule } from './market/market.module';
import { ChainModule } from './chain/chain.module';
import { DepositsModule } from './deposits/deposits.module';
import { PayoutsModule } from './payouts/payouts.module';
import { ProvidersModule } from './providers/providers.module';
import { ProvidersService } from './providers/providers.service';
import { ModelsModule } from './models/models.module';
import { RenderModule } from './render/render.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { WorkloadsModule } from './workloads/workloads.module';

@Module({})
export class AppModule implements NestModule {
  /** `databaseUrl` is resolved before boot: the configured one, or the embedded server's. */
  static forRoot(config: CoordinatorConfig, databaseUrl: string, poolSize: number): DynamicModule {
    // Migrations at start-up only when configured (embedded mode, tests): TypeORM takes no lock, so
    // replicas of a production deployment run `tessera-coordinator migrate` as a deploy step instead.
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot({
          ...dataSourceOptions(databaseUrl, poolSize),
          migrationsRun: config.database.migrateOnStart,
        }),
        EventsModule,
        HealthModule,
        WorkloadsModule,
        AuthModule,
        AccountsModule,
        BlobsModule,
        JobsModule,
        ProvidersModule,
        SchedulerModule,
        GatewayModule,
        RenderModule,
        ModelsModule,
        LedgerModule,
        ChainModule,
        DepositsModule,
        PayoutsModule,
        MarketModule,
        DashboardModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [JobsModule, ProvidersModule],
          inject: [AuthService, JobsService, ProvidersService],
          useFactory: graphqlOptions,
        }),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ActorMiddleware).forRoutes('*path');
  }
}
