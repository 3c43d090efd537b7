import { DynamicModule, Global, Module } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from './config';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CoordinatorConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: COORDINATOR_CONFIG, useValue: config }],
      exports: [COORDINATOR_CONFIG],
    };
  }
}
