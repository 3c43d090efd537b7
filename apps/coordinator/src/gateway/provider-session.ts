import { Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { verifyEd25519 } from '@tessera/crypto';
import bs58 from 'bs58';
import {
  AgentMessage,
  authPayload,
  AuthMessage,
  Capabilities,
  CloseCode,
  CoordinatorMessage,
  decodeAgentMessage,
  encode,
  ErrorCode,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
} from '@tessera/protocol';
import type { WebSocket } from 'ws';
import { GatewayError } from '../scheduler/gateway-error';
import type { GatewayContext } from './provider-gateway';

const MAX_BAD_MESSAGES = 10;
/** Token bucket: sustained messages per second and burst, per socket. */
const RATE_PER_SEC = 200;
const RATE_BURST = 400;

type State = 'challenged' | 'authenticated' | 'closed';

/**
 * One agent socket: challenge → auth → requests. Requests are handled one at a time in arrival
 * order (a `task.started` can never overtake the `task.completed` sent after it), except that a
 * claim waiting for work does not hold up the queue.
 */
export class ProviderSession {
  private readonly logger = new Logger('ProviderGateway');
  private state: State = 'challenged';
  private readonly nonce = randomBytes(32).toString('base64url');
  private readonly authTimer: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private badMessages = 0;
  private tokens = RATE_BURST;
  private lastRefill = Date.now();
  private waitingClaim?: () => void;
  providerId?: string;
  address?: string;
  /** The wallet that owns the machine (its own address unless the agent named another). */
  owner?: string;
  /** When this socket registered the provider as connected (to clear only our own mark on close). */
  connectedAt?: Date;
  capabilities?: Capabilities;
  /** Blobs in the agent's cache, from the latest claim that listed them: tasks keyed on them come first. */
  cachedBlobs: readonly string[] = [];
  readonly sessionId = randomUUID();
  /** Log text received per attempt and not yet written to the database. */
  readonly pendingLogs = new Map<string, string>();

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: GatewayContext,
    private readonly remote: string,
  ) {
    const authTimeoutMs = ctx.config.auth.challengeTimeoutMs;
    this.send({
      type: 'challenge',
      protocol: PROTOCOL_VERSION,
      coordinatorId: ctx.config.auth.coordinatorId,
      nonce: this.nonce,
      expiresAt: new Date(Date.now() + authTimeoutMs).toISOString(),
    });
    this.authTimer = setTimeout(() => {
      if (this.state === 'challenged')
        this.close(CloseCode.AuthTimeout, `no auth within ${authTimeoutMs / 1000} s`);
    }, authTimeoutMs);
    socket.on('message', (data, isBinary) => this.onFrame(data as Buffer, isBinary));
    socket.on('close', () => this.onClose());
    socket.on('error', (error) => this.logger.warn({ msg: 'socket error', remote, error: error.message }));
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (!this.takeToken()) {
      // Echo the request id (found without a full parse) so the sender knows which request was dropped.
      const re = /"id"\s*:\s*"([^"\\]{1,64})"/.exec(data.subarray(0, 512).toString('utf8'))?.[1];
      this.reject('RATE_LIMITED', `more than ${RATE_PER_SEC} messages per second; slow down and resend`, re);
      return;
    }
    if (isBinary) {
      this.badMessage(undefined, 'frames must be JSON text');
      return;
    }
    const decoded = decodeAgentMessage(data.toString('utf8'));
    if (!decoded.ok) {
      this.badMessage(decoded.id, decoded.error);
      return;
    }
    const message = decoded.message;
    if (this.state === 'challenged' && message.type !== 'auth') {
      // An unauthenticated socket gets nothing but this refusal.
      this.reject(
        'UNAUTHENTICATED',
        'authenticate first: answer the challenge with an auth message',
        'id' in message ? message.id : undefined,
      );
      this.close(CloseCode.Unauthenticated, 'unauthenticated');
      return;
    }
    if (message.type === 'claim') {
      // A claim without the list keeps the one sent before (protocol.md, "Cached blobs").
      if (message.cachedBlobs) this.cachedBlobs = message.cachedBlobs;
      // Claims wait for work outside the queue; only the claim itself is ordered.
      this.enqueue(() => this.claim(message.id));
      return;
    }
    this.enqueue(() => this.handle(message));
  }

  /** Resolves when every request received so far (and the close bookkeeping) has been handled. */
  whenIdle(): Promise<void> {
    return this.queue;
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((error: unknown) => this.logger.error(error));
  }

  private async handle(message: AgentMessage): Promise<void> {
    const id = 'id' in message ? message.id : undefined;
    try {
      switch (message.type) {
        case 'auth':
          return await this.authenticate(message);
        case 'capabilities':
          this.capabilities = message.capabilities;
          await this.ctx.providers.updateCapabilities(this.requireProvider(), message.capabilities);
          return this.send({ type: 'ok', re: message.id });
        case 'heartbeat': {
          const providerId = this.requireProvider();
          await this.ctx.flushLogs(this);
          const [result] = await Promise.all([
            this.ctx.scheduler.heartbeat(providerId, message.attempts),
            this.ctx.providers.touch(providerId),
          ]);
          const token = this.ctx.tokens.issue(providerId);
          return this.send({
            type: 'heartbeat.ack',
            re: message.id,
            ...result,
            blobToken: token.token,
            blobTokenExpiresAt: token.expiresAt.toISOString(),
          });
        }
        case 'task.started':
          await this.ctx.scheduler.started(this.requireProvider(), message.attemptId);
          return this.send({ type: 'ok', re: message.id });
        case 'task.log': {
          const pending = this.pendingLogs.get(message.attemptId) ?? '';
          // Only the tail is kept, so there is no point buffering more than that.
          this.pendingLogs.set(message.attemptId, (pending + message.data).slice(-8192));
          return;
        }
        case 'task.completed':
          await this.ctx.flushLogs(this);
          await this.ctx.scheduler.complete(this.requireProvider(), message);
          return this.send({ type: 'ok', re: message.id });
        case 'task.failed':
          await this.ctx.flushLogs(this);
          await this.ctx.scheduler.fail(this.requireProvider(), message);
          return this.send({ type: 'ok', re: message.id });
        case 'task.proof':
          await this.ctx.verification.proofReceived(this.requireProvider(), message);
          return this.send({ type: 'ok', re: message.id });
        case 'claim':
          return; // handled in onFrame
      }
    } catch (error) {
      if (error instanceof GatewayError) {
        this.logger.warn({
          msg: 'refused agent request',
          providerId: this.providerId,
          type: message.type,
          code: error.code,
          reason: error.message,
        });
        this.reject(error.code, error.message, id);
        return;
      }
      this.logger.error({
        msg: 'agent request failed',
        providerId: this.providerId,
        type: message.type,
        err: error,
      });
      this.reject('INTERNAL', 'the coordinator failed to handle this message; retry later', id);
    }
  }

  private async authenticate(message: AuthMessage): Promise<void> {
    if (this.state !== 'challenged') {
      this.reject('BAD_MESSAGE', 'already authenticated', message.id);
      return;
    }
    if (message.protocol !== PROTOCOL_VERSION) {
      this.reject(
        'PROTOCOL_VERSION',
        `this coordinator speaks protocol ${PROTOCOL_VERSION}, the agent ${message.protocol}: upgrade the agent`,
        message.id,
      );
      this.close(CloseCode.ProtocolVersion, 'protocol version');
      return;
    }
    let signature: Uint8Array = new Uint8Array();
    try {
      signature = bs58.decode(message.signature);
    } catch {
      // verify below fails on the empty signature
    }
    const payload = authPayload(this.ctx.config.auth.coordinatorId, this.nonce, message.address);
    // The nonce must be this socket's own: a signature captured on another connection is useless here.
    if (message.nonce !== this.nonce || !verifyEd25519(message.address, payload, signature)) {
      this.logger.warn({ msg: 'provider auth failed', remote: this.remote, address: message.address });
      this.reject('AUTH_FAILED', 'the signature does not match this challenge and address', message.id);
      this.close(CloseCode.Unauthenticated, 'auth failed');
      return;
    }
    const provider = await this.ctx.providers.connected(
      message.address,
      message.agent.name ?? null,
      message.capabilities,
      message.agent.version,
      message.owner ?? null,
    );
    if (provider.bannedAt) {
      // It was registered as connected by the lookup above; it is not.
      await this.ctx.providers.disconnected(provider.id, provider.connectedAt ?? undefined);
      this.reject(
        'BANNED',
        `this provider is banned: ${provider.banReason ?? 'no reason recorded'}`,
        message.id,
      );
      this.close(CloseCode.Banned, 'banned');
      return;
    }
    clearTimeout(this.authTimer);
    this.state = 'authenticated';
    this.providerId = provider.id;
    this.address = provider.address;
    this.owner = message.owner ?? provider.address;
    this.connectedAt = provider.connectedAt ?? undefined;
    this.capabilities = message.capabilities;
    this.ctx.register(this);
    const token = this.ctx.tokens.issue(provider.id);
    this.send({
      type: 'welcome',
      re: message.id,
      providerId: provider.id,
      sessionId: this.sessionId,
      heartbeatIntervalMs: this.ctx.config.scheduler.heartbeatIntervalMs,
      leaseTtlMs: this.ctx.config.scheduler.leaseTtlMs,
      blobToken: token.token,
      blobTokenExpiresAt: token.expiresAt.toISOString(),
      maxMessageBytes: MAX_MESSAGE_BYTES,
    });
    this.logger.log({
      msg: 'provider connected',
      providerId: provider.id,
      address: provider.address,
      remote: this.remote,
    });
    // Spot-checks still waiting for this provider's proof (it was away when they were drawn).
    this.enqueue(async () => {
      for (const request of await this.ctx.verification.pendingProofRequests(provider.id)) this.send(request);
    });
  }

  /** Leases a task now, or waits (long poll) until work is queued or the wait times out. */
  private async claim(id: string): Promise<void> {
    const providerId = this.requireProviderOrReject(id);
    if (!providerId) return;
    const deadline = Date.now() + this.ctx.claimWaitMs;
    // Only one claim waits per session; a newer one replaces it.
    this.waitingClaim?.();
    const attempt = async (): Promise<boolean> => {
      try {
        const lease = await this.ctx.scheduler.claim(
          providerId,
          this.capabilities as Capabilities,
          this.cachedBlobs,
          { address: this.address as string, owner: this.owner },
        );
        if (!lease) return false;
        if (this.state !== 'authenticated') {
          // The socket closed while the claim ran: nobody will run this lease, so hand the task
          // back now instead of letting it sit until the lease expires.
          await this.ctx.scheduler.release(
            providerId,
            lease.attemptId,
            'the agent disconnected before the lease was delivered',
          );
          return true;
        }
        this.send({ type: 'lease', re: id, lease });
        return true;
      } catch (error) {
        this.logger.error({ msg: 'claim failed', providerId, err: error });
        this.reject('INTERNAL', 'claim failed; retry later', id);
        return true;
      }
    };
    // Listen for new work *before* each look: work queued while a look is running must still wake
    // this claim (listening only after an empty look would miss it and wait out the whole timeout).
    const listen = () => {
      const next = this.ctx.waiters.wait(this.capabilities?.kinds ?? [], Math.max(0, deadline - Date.now()));
      this.waitingClaim = next.cancel;
      return next;
    };
    const stopListening = () => {
      wait.cancel();
      if (this.waitingClaim === wait.cancel) this.waitingClaim = undefined;
    };
    let wait = listen();
    if (await attempt()) return stopListening();
    // Wait outside the session queue so heartbeats and results keep flowing.
    void (async () => {
      for (;;) {
        const outcome = await wait.promise;
        if (this.state !== 'authenticated') return;
        if (outcome === 'timeout') break; // timed out, or replaced by a newer claim
        wait = listen();
        if (await attempt()) return stopListening();
      }
      stopListening();
      if (this.state === 'authenticated') this.send({ type: 'no-work', re: id, retryAfterMs: 0 });
    })();
  }

  cancelAttempt(attemptId: string, reason: string): void {
    this.send({ type: 'cancel', attemptId, reason });
  }

  private requireProvider(): string {
    if (!this.providerId) throw new GatewayError('UNAUTHENTICATED', 'authenticate first');
    return this.providerId;
  }

  private requireProviderOrReject(id: string): string | undefined {
    if (!this.providerId) this.reject('UNAUTHENTICATED', 'authenticate first', id);
    return this.providerId;
  }

  private badMessage(id: string | undefined, error: string): void {
    this.badMessages++;
    this.ctx.metrics.gatewayRejected.inc({ code: 'BAD_MESSAGE' });
    this.logger.warn({
      msg: 'malformed agent message',
      providerId: this.providerId,
      remote: this.remote,
      error,
    });
    this.send({ type: 'error', ...(id ? { re: id } : {}), code: 'BAD_MESSAGE', message: error });
    if (this.state === 'challenged') {
      this.close(CloseCode.Unauthenticated, 'unauthenticated');
    } else if (this.badMessages >= MAX_BAD_MESSAGES) {
      this.close(CloseCode.TooManyBadMessages, 'too many malformed messages');
    }
  }

  private reject(code: ErrorCode, message: string, re?: string): void {
    this.ctx.metrics.gatewayRejected.inc({ code });
    this.send({ type: 'error', ...(re ? { re } : {}), code, message });
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(RATE_BURST, this.tokens + ((now - this.lastRefill) / 1000) * RATE_PER_SEC);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  send(message: CoordinatorMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(encode(message));
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.socket.close(code, reason);
    this.onClose();
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    const wasAuthenticated = this.state === 'authenticated';
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.waitingClaim?.();
    if (wasAuthenticated) {
      this.ctx.unregister(this);
      // Leases survive the socket: the agent may reconnect and keep heartbeating them.
      this.enqueue(async () => {
        await this.ctx.flushLogs(this);
        await this.ctx.disconnected(this);
      });
      this.logger.log({ msg: 'provider disconnected', providerId: this.providerId });
    }
  }
}
