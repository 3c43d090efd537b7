import { join } from 'node:path';
import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnModuleInit,
  RequestMethod,
} from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { DashboardMiddleware, isFile } from './dashboard.middleware';

/** The web dashboard's static files at `/` (see DashboardMiddleware); the app itself is apps/dashboard. */
@Module({})
export class DashboardModule implements NestModule, OnModuleInit {
  private readonly logger = new Logger('Dashboard');

  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(DashboardMiddleware)
      .forRoutes(
        { path: '{*path}', method: RequestMethod.GET },
        { path: '{*path}', method: RequestMethod.HEAD },
      );
  }

  /** Says once at start-up whether there is a dashboard to serve, and from where. */
  async onModuleInit(): Promise<void> {
    const dir = this.config.dashboard.dir;
    if (!dir) return;
    if (await isFile(join(dir, 'index.html'))) this.logger.log({ msg: 'serving the dashboard', dir });
    else
      this.logger.warn({
        msg: 'the dashboard is not built, so `/` says how to build it (npm run build, or set TESSERA_DASHBOARD_DIR)',
        dir,
      });
  }
}
