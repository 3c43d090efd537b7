/**
 * Events that cross replicas: a job or task changed (subscriptions), an attempt must be cancelled on
 * whichever replica holds the agent's socket, new work was queued (wake agents waiting to claim),
 * an API key was revoked (end the subscriptions it opened, wherever they are).
 * The in-process bus serves a single coordinator; a Redis-backed bus implements the same interface
 * for several replicas.
 */
export type CoordinatorEvent =
  | { type: 'job.updated'; jobId: string; accountId: string }
  | { type: 'task.updated'; jobId: string; accountId: string; taskId: string }
  | { type: 'attempt.cancel'; providerId: string; attemptId: string; reason: string }
  | { type: 'work.queued'; kind: string }
  /** A spot-check sampled items of the provider's attempt: ask its agent to prove them. */
  | { type: 'proof.request'; providerId: string; attemptId: string; items: number[]; deadline: string }
  /** Failed spot-checks banned the provider: close its socket. */
  | { type: 'provider.banned'; providerId: string; reason: string }
  /** A customer revoked an API key: end the subscriptions opened with it. */
  | { type: 'apikey.revoked'; accountId: string; apiKeyId: string };

export type EventHandler = (event: CoordinatorEvent) => void;

export interface EventBus {
  publish(event: CoordinatorEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(handler: EventHandler): () => void;
}

export const EVENT_BUS = Symbol('EVENT_BUS');

export class InProcessEventBus implements EventBus {
  private readonly handlers = new Set<EventHandler>();

  publish(event: CoordinatorEvent): void {
    // Deliver asynchronously so a publisher inside a transaction callback never runs handlers inline.
    for (const handler of [...this.handlers]) queueMicrotask(() => handler(event));
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}
