import { randomUUID } from 'node:crypto';
import bs58 from 'bs58';
import { Ed25519Keypair } from '@tessera/crypto';
import {
  authPayload,
  Capabilities,
  ChallengeMessage,
  CoordinatorMessage,
  PROTOCOL_VERSION,
  PROVIDER_GATEWAY_PATH,
  WelcomeMessage,
} from '@tessera/protocol';
import WebSocket from 'ws';

export function testCapabilities(overrides: Partial<Capabilities> = {}): Capabilities {
  return {
    kinds: ['container'],
    slots: 1,
    cpu: { cores: 2, model: 'test cpu' },
    memoryBytes: 8 * 2 ** 30,
    diskFreeBytes: 100 * 2 ** 30,
    gpus: [],
    docker: { version: '20.10.24', apiVersion: '1.41' },
    images: ['tessera/toolbox:1'],
    os: 'linux',
    arch: 'x64',
    ...overrides,
  };
}

/**
 * A provider that speaks the wire protocol frame by frame, for gateway tests, adversarial tests and
 * benchmarks. It does only what it is told, including things a real agent never does.
 */
export class TestAgent {
  readonly keypair: Ed25519Keypair;
  readonly received: CoordinatorMessage[] = [];
  challenge?: ChallengeMessage;
  welcome?: WelcomeMessage;
  closed?: { code: number; reason: string };
  private waiters: { match: (m: CoordinatorMessage) => boolean; resolve: (m: CoordinatorMessage) => void }[] =
    [];
  private closeWaiters: (() => void)[] = [];

  private constructor(
    readonly socket: WebSocket,
    keypair?: Ed25519Keypair,
  ) {
    this.keypair = keypair ?? Ed25519Keypair.generate();
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as CoordinatorMessage;
      if (message.type === 'challenge') this.challenge = message;
      this.received.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(message)) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(message);
        }
      }
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters) w();
    });
  }

  /** Opens a socket and waits for the challenge. */
  static async open(baseUrl: string, keypair?: Ed25519Keypair): Promise<TestAgent> {
    const socket = new WebSocket(new URL(PROVIDER_GATEWAY_PATH, baseUrl.replace(/^http/, 'ws')));
    const agent = new TestAgent(socket, keypair);
    // The challenge can arrive in the same tick as 'open': listen for it first.
    const challenge = agent.next((m) => m.type === 'challenge', 10_000);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await challenge;
    return agent;
  }

  /** Opens and authenticates; throws unless welcomed. */
  static async connect(
    baseUrl: string,
    opts: { keypair?: Ed25519Keypair; capabilities?: Capabilities; name?: string } = {},
  ): Promise<TestAgent> {
    const agent = await TestAgent.open(baseUrl, opts.keypair);
    const reply = await agent.auth({ capabilities: opts.capabilities, name: opts.name });
    if (reply.type !== 'welcome') throw new Error(`auth refused: ${JSON.stringify(reply)}`);
    return agent;
  }

  signatureFor(nonce: string, coordinatorId = this.challenge?.coordinatorId ?? ''): string {
    return bs58.encode(this.keypair.sign(authPayload(coordinatorId, nonce, this.keypair.address)));
  }

  async auth(
    opts: {
      capabilities?: Capabilities;
      name?: string;
      nonce?: string;
      signature?: string;
      protocol?: number;
    } = {},
  ): Promise<CoordinatorMessage> {
    const nonce = opts.nonce ?? (this.challenge?.nonce as string);
    const reply = await this.request({
      type: 'auth',
      protocol: opts.protocol ?? PROTOCOL_VERSION,
      address: this.keypair.address,
      signature: opts.signature ?? this.signatureFor(nonce),
      nonce,
      agent: { version: 'test', name: opts.name ?? 'test-agent' },
      capabilities: opts.capabilities ?? testCapabilities(),
    });
    if (reply.type === 'welcome') this.welcome = reply;
    return reply;
  }

  /** Sends a message with a fresh id and waits for the reply to it. */
  async request(message: Record<string, unknown>, timeoutMs = 30_000): Promise<CoordinatorMessage> {
    const id = randomUUID();
    const reply = this.next((m) => 're' in m && m.re === id, timeoutMs);
    this.sendRaw(JSON.stringify({ ...message, id }));
    return reply;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  next(match: (m: CoordinatorMessage) => boolean, timeoutMs = 30_000): Promise<CoordinatorMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.received.slice(-3))}`,
          ),
        );
      }, timeoutMs);
      const done = (m: CoordinatorMessage) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  whenClosed(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve(this.closed as { code: number; reason: string });
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

export function newId(): string {
  return randomUUID();
}
