import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, MAX_MESSAGE_BYTES, PROVIDER_GATEWAY_PATH } from '@tessera/protocol';
import { WebSocketServer } from 'ws';
import { ProviderTokenService } from '../auth/provider-token.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { MetricsService } from '../health/metrics.service';
import { ProvidersService } from '../providers/providers.service';
import { SchedulerService } from '../scheduler/scheduler.service';
import { VerificationService } from '../verification/verification.service';
import { ClaimWaiters } from './claim-waiters';
import { ProviderSession } from './provider-session';

/** What a session needs from the gateway; an interface so sessions can be tested without Nest. */
export interface GatewayContext {
  config: CoordinatorConfig;
  scheduler: SchedulerService;
  verification: VerificationService;
  providers: ProvidersService;
  tokens: ProviderTokenService;
  metrics: MetricsService;
  waiters: ClaimWaiters;
  claimWaitMs: number;
  register(session: ProviderSession): void;
  unregister(session: ProviderSession): void;
  flushLogs(session: ProviderSession): Promise<void>;
  disconnected(session: ProviderSession): Promise<void>;
}

/** How long a claim with no work waits before answering `no-work` (the agent then claims again). */
const CLAIM_WAIT_MS = 20_000;
const LOG_FLUSH_MS = 1000;

/**
 * The provider WebSocket endpoint at /v1/provider, on the same port as HTTP and GraphQL. It owns
 * only the upgrades for its own path, so graphql-ws subscriptions on /graphql keep working (Nest's
 * stock WsAdapter would destroy them).
 */
@Injectable()
export class ProviderGateway implements OnApplicationBootstrap, BeforeApplicationShutdown, GatewayContext {
  private readonly logger = new Logger(ProviderGateway.name);
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly sessions = new Map<string, ProviderSession>();
  /** Every open socket's session, authenticated or not. */
  private readonly live = new Set<ProviderSession>();
  readonly waiters = new ClaimWaiters();
  readonly claimWaitMs = CLAIM_WAIT_MS;
  private flushTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private server?: Server;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== PROVIDER_GATEWAY_PATH) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new ProviderSession(ws, this, req.socket.remoteAddress ?? 'unknown');
      this.live.add(session);
      ws.once('close', () => void session.whenIdle().finally(() => this.live.delete(session)));
    });
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(COORDINATOR_CONFIG) readonly config: CoordinatorConfig,
    readonly scheduler: SchedulerService,
    readonly verification: VerificationService,
    readonly providers: ProvidersService,
    readonly tokens: ProviderTokenService,
    readonly metrics: MetricsService,
    @Inject(EVENT_BUS) private readonly events: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.unsubscribe = this.events.subscribe((event) => {
      if (event.type === 'work.queued') this.waiters.wake(event.kind);
      if (event.type === 'attempt.cancel')
        this.sessions.get(event.providerId)?.cancelAttempt(event.attemptId, event.reason);
      if (event.type === 'proof.request') {
        const { providerId, attemptId, items, deadline } = event;
        this.sessions.get(providerId)?.send({ type: 'proof.request', attemptId, items, deadline });
      }
      if (event.type === 'provider.banned')
        this.sessions.get(event.providerId)?.close(CloseCode.Banned, `banned: ${event.reason}`.slice(0, 120));
    });
    this.flushTimer = setInterval(() => {
      for (const session of this.sessions.values()) void this.flushLogs(session);
    }, LOG_FLUSH_MS);
  }

  /**
   * Runs before any module's shutdown hook (so before the database pool closes): stop accepting
   * agents, close every socket, and wait (bounded) until each session has written what it was
   * handling, its buffered logs and its disconnect.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.flushTimer);
    this.unsubscribe?.();
    this.server?.off('upgrade', this.onUpgrade);
    const sessions = [...this.live];
    for (const session of sessions) session.close(CloseCode.GoingAway, 'coordinator shutting down');
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    await Promise.race([
      Promise.all(sessions.map((s) => s.whenIdle())),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
  }

  register(session: ProviderSession): void {
    const previous = this.sessions.get(session.providerId as string);
    this.sessions.set(session.providerId as string, session);
    this.metrics.agentsConnected.set(this.sessions.size);
    if (previous && previous !== session) {
      this.logger.warn({
        msg: 'provider connected again; closing its older socket',
        providerId: session.providerId,
      });
      previous.close(CloseCode.Superseded, 'superseded by a newer connection');
    }
  }

  unregister(session: ProviderSession): void {
    if (this.sessions.get(session.providerId as string) === session)
      this.sessions.delete(session.providerId as string);
    this.metrics.agentsConnected.set(this.sessions.size);
  }

  async flushLogs(session: ProviderSession): Promise<void> {
    if (!session.providerId || session.pendingLogs.size === 0) return;
    const pending = [...session.pendingLogs];
    session.pendingLogs.clear();
    await Promise.all(
      pending.map(([attemptId, text]) =>
        this.scheduler
          .appendLog(session.providerId as string, attemptId, text)
          .catch((error: unknown) => this.logger.warn({ msg: 'could not store log', attemptId, err: error })),
      ),
    );
  }

  async disconnected(session: ProviderSession): Promise<void> {
    // A newer socket of the same provider may already be registered: it is still connected.
    if (this.sessions.has(session.providerId as string)) return;
    await this.providers.disconnected(session.providerId as string, session.connectedAt);
  }

  get connectedCount(): number {
    return this.sessions.size;
  }
}
