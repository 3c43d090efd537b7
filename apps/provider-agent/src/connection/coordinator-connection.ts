import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import bs58 from 'bs58';
import type { Ed25519Keypair } from '@tessera/crypto';
import {
  AgentMessage,
  authPayload,
  CancelMessage,
  Capabilities,
  CloseCode,
  CoordinatorMessage,
  decodeCoordinatorMessage,
  encode,
  ErrorCode,
  ProofRequestMessage,
  PROTOCOL_VERSION,
  PROVIDER_GATEWAY_PATH,
  WelcomeMessage,
} from '@tessera/protocol';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff';

/** Errors after which reconnecting cannot help: the agent stops and says why. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_FAILED', // the key does not verify: a corrupt keypair file or a clock-free bug; retrying repeats it
  'BANNED', // the operator banned this provider
  'PROTOCOL_VERSION', // this agent is too old or too new for the coordinator
]);

export class FatalConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FatalConnectionError';
  }
}

/** The coordinator refused a request (the error frame's code and message). */
export class RequestRefusedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RequestRefusedError';
  }
}

/** The socket closed (or was not open) before the reply came; the request may or may not have arrived. */
export class DisconnectedError extends Error {
  constructor(message = 'not connected to the coordinator') {
    super(message);
    this.name = 'DisconnectedError';
  }
}

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
export type AgentRequest = Distribute<Exclude<AgentMessage, { type: 'task.log' | 'auth' }>>;

export interface ConnectionOptions {
  coordinatorUrl: string;
  keypair: Ed25519Keypair;
  agent: { version: string; name?: string };
  /** The wallet that owns this machine and is paid for its work; absent: the keypair's address. */
  owner?: string;
  capabilities: () => Promise<Capabilities>;
  logger: Logger;
}

interface Pending {
  resolve: (message: CoordinatorMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The agent's link to the coordinator: connects, answers the challenge, and reconnects with jittered
 * backoff whenever the socket drops, until stopped. Requests are matched to replies by id.
 * Events: `ready` (welcome), `disconnected`, `cancel` (CancelMessage), `proof.request`
 * (ProofRequestMessage), `fatal` (FatalConnectionError).
 */
export class CoordinatorConnection extends EventEmitter {
  private socket?: WebSocket;
  private ready = false;
  private stopped = false;
  private readonly pending = new Map<string, Pending>();
  private readonly backoff = new Backoff();
  private readonly stopController = new AbortController();
  private loop?: Promise<void>;
  welcome?: WelcomeMessage;
  blobToken?: string;

  constructor(private readonly opts: ConnectionOptions) {
    super();
  }

  get isReady(): boolean {
    return this.ready;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    this.socket?.close(1000, 'agent stopping');
    await this.loop;
  }

  /** Resolves once connected and authenticated (immediately if already). */
  whenReady(signal?: AbortSignal): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(new DisconnectedError('stopped while waiting for the coordinator'));
      };
      const cleanup = () => {
        this.off('ready', onReady);
        signal?.removeEventListener('abort', onAbort);
      };
      this.on('ready', onReady);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sends a request and waits for its reply; an `error` reply rejects with RequestRefusedError. */
  request(message: AgentRequest, timeoutMs = 30_000): Promise<CoordinatorMessage> {
    if (!this.ready || !this.socket) return Promise.reject(new DisconnectedError());
    const id = randomUUID();
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DisconnectedError(`no reply to ${message.type} within ${timeoutMs} ms`));
        // A coordinator that stops answering is as good as gone: reconnect.
        socket.terminate();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(encode({ ...message, id } as AgentMessage));
    });
  }

  /** Fire-and-forget (logs); dropped while disconnected. */
  send(message: Extract<AgentMessage, { type: 'task.log' }>): boolean {
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(encode(message));
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.connectOnce();
      } catch (error) {
        if (error instanceof FatalConnectionError) {
          this.stopped = true;
          this.emit('fatal', error);
          return;
        }
        this.opts.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'coordinator connection failed',
        );
      }
      if (this.stopped) return;
      const delay = this.backoff.next();
      this.opts.logger.info({ retryInMs: delay }, 'reconnecting to the coordinator');
      await sleep(delay, this.stopController.signal);
    }
  }

  /** One socket's life: resolves when it closes, rejects with FatalConnectionError when retrying is pointless. */
  private connectOnce(): Promise<void> {
    const url = new URL(PROVIDER_GATEWAY_PATH, this.opts.coordinatorUrl.replace(/^http/, 'ws'));
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: 10_000 });
      this.socket = socket;
      let authId: string | undefined;
      let fatal: FatalConnectionError | undefined;
      socket.on('message', (data) => {
        const decoded = decodeCoordinatorMessage(String(data));
        if (!decoded.ok) {
          this.opts.logger.warn(
            { error: decoded.error },
            'ignoring a malformed message from the coordinator',
          );
          return;
        }
        const message = decoded.message;
        if (message.type === 'challenge') {
          authId = randomUUID();
          void this.answer(socket, message.coordinatorId, message.nonce, authId).catch((error: unknown) => {
            this.opts.logger.error({ err: error }, 'could not answer the challenge');
            socket.close();
          });
          return;
        }
        if (message.type === 'welcome' && message.re === authId) {
          this.welcome = message;
          this.blobToken = message.blobToken;
          this.ready = true;
          this.backoff.reset();
          this.opts.logger.info({ providerId: message.providerId }, 'connected to the coordinator');
          this.emit('ready', message);
          return;
        }
        if (message.type === 'error' && message.re !== undefined && message.re === authId) {
          if (FATAL_CODES.has(message.code)) fatal = new FatalConnectionError(message.code, message.message);
          return;
        }
        if (message.type === 'cancel') {
          this.emit('cancel', message as CancelMessage);
          return;
        }
        if (message.type === 'proof.request') {
          this.emit('proof.request', message as ProofRequestMessage);
          return;
        }
        if (message.type === 'heartbeat.ack') this.blobToken = message.blobToken;
        const re = 're' in message ? message.re : undefined;
        const pending = re ? this.pending.get(re) : undefined;
        if (!pending || !re) {
          if (message.type === 'error')
            this.opts.logger.warn({ code: message.code, message: message.message }, 'coordinator error');
          return;
        }
        this.pending.delete(re);
        clearTimeout(pending.timer);
        if (message.type === 'error') pending.reject(new RequestRefusedError(message.code, message.message));
        else pending.resolve(message);
      });
      socket.on('error', (error) => this.opts.logger.debug({ err: error.message }, 'socket error'));
      socket.on('close', (code, reason) => {
        const wasReady = this.ready;
        this.ready = false;
        this.socket = undefined;
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(new DisconnectedError());
          this.pending.delete(id);
        }
        if (wasReady) this.emit('disconnected');
        if (code === CloseCode.Banned && !fatal)
          fatal = new FatalConnectionError('BANNED', reason.toString() || 'banned');
        if (code === CloseCode.Superseded) {
          this.opts.logger.error(
            'another agent connected with this keypair; two machines must not share one identity',
          );
        }
        if (fatal) reject(fatal);
        else resolve();
      });
    });
  }

  private async answer(socket: WebSocket, coordinatorId: string, nonce: string, id: string): Promise<void> {
    const { keypair } = this.opts;
    const signature = bs58.encode(keypair.sign(authPayload(coordinatorId, nonce, keypair.address)));
    const capabilities = await this.opts.capabilities();
    socket.send(
      encode({
        type: 'auth',
        id,
        protocol: PROTOCOL_VERSION,
        address: keypair.address,
        signature,
        nonce,
        ...(this.opts.owner ? { owner: this.opts.owner } : {}),
        agent: this.opts.agent,
        capabilities,
      }),
    );
  }
}
