import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { CoordinatorEvent, EventBus, EventHandler } from './event-bus';

const CHANNEL = 'tessera:events:v1';

/**
 * The event bus across coordinator replicas, over Redis pub/sub: a cancel reaches the replica that
 * holds the agent's socket, a subscription on one replica sees tasks finished on another, and work
 * queued anywhere wakes idle agents everywhere. Delivery is at most once (pub/sub keeps nothing):
 * events only say "look again", and every consumer reads the current state from PostgreSQL, so a
 * lost event delays an update (until the next event or the claim's long-poll timeout) but never
 * loses work. Events published here are delivered locally at once, without a round trip through Redis.
 */
export class RedisEventBus implements EventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly handlers = new Set<EventHandler>();
  private readonly origin = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(url: string) {
    this.publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.subscriber = new Redis(url, { lazyConnect: true });
    this.subscriber.on('message', (_channel: string, raw: string) => {
      let envelope: { origin: string; event: CoordinatorEvent };
      try {
        envelope = JSON.parse(raw) as typeof envelope;
      } catch {
        return;
      }
      if (envelope.origin !== this.origin) this.deliver(envelope.event);
    });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn({ msg: 'redis error', err: error.message }));
    }
  }

  async connect(): Promise<void> {
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(CHANNEL);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  publish(event: CoordinatorEvent): void {
    this.deliver(event);
    this.publisher
      .publish(CHANNEL, JSON.stringify({ origin: this.origin, event }))
      .catch((error: unknown) => {
        this.logger.warn({
          msg: 'could not publish an event to other replicas',
          type: event.type,
          err: String(error),
        });
      });
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  private deliver(event: CoordinatorEvent): void {
    for (const handler of [...this.handlers]) queueMicrotask(() => handler(event));
  }
}
