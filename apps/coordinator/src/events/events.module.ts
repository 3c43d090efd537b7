import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus, InProcessEventBus } from './event-bus';
import { RedisEventBus } from './redis-event-bus';

/** In-process events for a single coordinator; Redis pub/sub when REDIS_URL is set (several replicas). */
@Global()
@Module({
  providers: [
    {
      provide: EVENT_BUS,
      inject: [COORDINATOR_CONFIG],
      useFactory: async (config: CoordinatorConfig): Promise<EventBus> => {
        if (!config.redisUrl) return new InProcessEventBus();
        const bus = new RedisEventBus(config.redisUrl);
        await bus.connect();
        return bus;
      },
    },
  ],
  exports: [EVENT_BUS],
})
export class EventsModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.bus instanceof RedisEventBus) await this.bus.close();
  }
}
