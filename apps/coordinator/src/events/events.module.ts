import { Global, Module } from '@nestjs/common';
import { EVENT_BUS, InProcessEventBus } from './event-bus';

@Global()
@Module({
  providers: [{ provide: EVENT_BUS, useFactory: () => new InProcessEventBus() }],
  exports: [EVENT_BUS],
})
export class EventsModule {}
