import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { Ed25519Keypair } from '@tessera/crypto';
import bs58 from 'bs58';
import {
  authPayload,
  ChallengeMessage,
  CoordinatorMessage,
  Lease,
  PROTOCOL_VERSION,
} from '@tessera/protocol';
import { testCapabilities } from '@tessera/testing';
import type { WebSocket } from 'ws';
import { ClaimWaiters } from './claim-waiters';
import type { GatewayContext } from './provider-gateway';
import { ProviderSession } from './provider-session';

const PROVIDER_ID = '2b1f0c4e-7d1a-4f7e-9a51-0c6f1d2e3a4b';
const CLAIM_WAIT_MS = 3000;

/** The socket side of a session: frames the session sends are recorded, frames the test sends are delivered. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: CoordinatorMessage[] = [];
  private waiters: { match: (m: CoordinatorMessage) => boolean; resolve: (m: CoordinatorMessage) => void }[] =
    [];

  send(data: string): void {
    const message = JSON.parse(data) as CoordinatorMessage;
    this.sent.push(message);
    for (const w of [...this.waiters]) {
      if (w.match(message)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(message);
      }
    }
  }

  close(): void {
    this.readyState = 3;
  }

  deliver(message: Record<string, unknown>): void {
    this.emit('message', Buffer.from(JSON.stringify(message)), false);
  }

  reply(re: string, timeoutMs: number): Promise<CoordinatorMessage> {
    return new Promise((resolve, reject) => {
      const found = this.sent.find((m) => 're' in m && m.re === re);
      if (found) return resolve(found);
      const timer = setTimeout(
        () => reject(new Error(`no reply to ${re} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match: (m) => 're' in m && m.re === re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}

function lease(): Lease {
  return {
    attemptId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    taskId: '3f2b8a1c-5d4e-4f6a-8b7c-9d0e1f2a3b4c',
    task: { index: 0, params: {} },
    jobId: '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    kind: 'container',
    leaseExpiresAt: new Date(Date.now() + 30_000).toISOString(),
    container: {
      image: 'tessera/toolbox:1',
      command: ['true'],
      env: {},
      inputs: [],
      limits: {
        cpus: 1,
        memoryBytes: 2 ** 29,
        pids: 256,
        timeoutSec: 600,
        tmpBytes: 2 ** 26,
        outputBytes: 2 ** 28,
        outputFiles: 10_000,
      },
      gpus: 0,
    },
  };
}

describe('ProviderSession', () => {
  let socket: FakeSocket;
  let waiters: ClaimWaiters;
  let claim: jest.Mock;
  let sut: ProviderSession;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    socket = new FakeSocket();
    waiters = new ClaimWaiters();
    claim = jest.fn();
    const ctx = {
      config: {
        auth: { coordinatorId: 'test-coordinator', challengeTimeoutMs: 10_000 },
        scheduler: { heartbeatIntervalMs: 10_000, leaseTtlMs: 30_000 },
      },
      scheduler: { claim },
      providers: {
        connected: jest.fn(() =>
          Promise.resolve({ id: PROVIDER_ID, address: 'x', connectedAt: new Date(), bannedAt: null }),
        ),
        disconnected: jest.fn(),
      },
      tokens: { issue: () => ({ token: 'tpb_x', expiresAt: new Date(Date.now() + 60_000) }) },
      metrics: { gatewayRejected: { inc: jest.fn() } },
      waiters,
      claimWaitMs: CLAIM_WAIT_MS,
      register: jest.fn(),
      unregister: jest.fn(),
      flushLogs: jest.fn(() => Promise.resolve()),
      disconnected: jest.fn(() => Promise.resolve()),
    } as unknown as GatewayContext;
    sut = new ProviderSession(socket as unknown as WebSocket, ctx, 'test');
    const challenge = socket.sent[0] as ChallengeMessage;
    const keypair = Ed25519Keypair.generate();
    socket.deliver({
      type: 'auth',
      id: 'auth',
      protocol: PROTOCOL_VERSION,
      address: keypair.address,
      signature: bs58.encode(keypair.sign(authPayload('test-coordinator', challenge.nonce, keypair.address))),
      nonce: challenge.nonce,
      agent: { version: 'test' },
      capabilities: testCapabilities(),
    });
    expect((await socket.reply('auth', 1000)).type).toBe('welcome');
  });

  afterEach(() => sut.close(1000, 'test over'));

  it('leases work queued while its first look for work was still running (no lost wake-up)', async () => {
    const leased = lease();
    // A job is submitted (and its wake-up published) after the claim's query looked, before it returned.
    claim
      .mockImplementationOnce(() => {
        waiters.wake('container');
        return Promise.resolve(undefined);
      })
      .mockResolvedValueOnce(leased);

    socket.deliver({ type: 'claim', id: 'c1' });

    expect(await socket.reply('c1', CLAIM_WAIT_MS / 2)).toEqual({ type: 'lease', re: 'c1', lease: leased });
  });

  it('keeps waiting after losing a woken claim to another agent, and leases the next job', async () => {
    const leased = lease();
    claim
      .mockResolvedValueOnce(undefined) // nothing queued yet
      .mockImplementationOnce(() => {
        // Woken, but another agent took that task; meanwhile one more job is queued.
        waiters.wake('container');
        return Promise.resolve(undefined);
      })
      .mockResolvedValueOnce(leased);

    socket.deliver({ type: 'claim', id: 'c2' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(waiters.size).toBe(1);
    waiters.wake('container');

    expect(await socket.reply('c2', CLAIM_WAIT_MS / 2)).toEqual({ type: 'lease', re: 'c2', lease: leased });
  });

  it('answers no-work when nothing arrives within the wait, and stops listening', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      claim.mockResolvedValue(undefined);
      socket.deliver({ type: 'claim', id: 'c3' });
      await jest.advanceTimersByTimeAsync(CLAIM_WAIT_MS + 10);
      expect(await socket.reply('c3', 0)).toEqual({ type: 'no-work', re: 'c3', retryAfterMs: 0 });
      expect(waiters.size).toBe(0);
      expect(claim).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers an older waiting claim with no-work when a newer claim replaces it', async () => {
    const leased = lease();
    claim.mockResolvedValueOnce(undefined).mockResolvedValueOnce(undefined).mockResolvedValueOnce(leased);

    socket.deliver({ type: 'claim', id: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.deliver({ type: 'claim', id: 'new' });

    expect(await socket.reply('old', 1000)).toEqual({ type: 'no-work', re: 'old', retryAfterMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiters.size).toBe(1);
    waiters.wake('container');
    expect(await socket.reply('new', 1000)).toEqual({ type: 'lease', re: 'new', lease: leased });
  });

  it("passes the agent's cached blobs to the scheduler, keeping the last list when a claim omits it", async () => {
    const [x, y] = ['a'.repeat(64), 'b'.repeat(64)];
    claim.mockResolvedValue(lease());

    socket.deliver({ type: 'claim', id: 'b1' });
    await socket.reply('b1', 1000);
    socket.deliver({ type: 'claim', id: 'b2', cachedBlobs: [x, y] });
    await socket.reply('b2', 1000);
    socket.deliver({ type: 'claim', id: 'b3' });
    await socket.reply('b3', 1000);
    socket.deliver({ type: 'claim', id: 'b4', cachedBlobs: [] });
    await socket.reply('b4', 1000);

    expect(claim.mock.calls.map((call: unknown[]) => call[2])).toEqual([[], [x, y], [x, y], []]);
  });

  it('stops waiting for work when the socket closes', async () => {
    claim.mockResolvedValue(undefined);
    socket.deliver({ type: 'claim', id: 'c4' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(waiters.size).toBe(1);

    sut.close(1000, 'bye');

    expect(waiters.size).toBe(0);
    waiters.wake('container');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(claim).toHaveBeenCalledTimes(1);
  });
});
