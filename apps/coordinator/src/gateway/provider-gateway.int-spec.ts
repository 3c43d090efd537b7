import { randomBytes, randomUUID } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Ed25519Keypair, sha256Hex } from '@tessera/crypto';
import {
  createAccount,
  eventually,
  gql,
  sleep,
  TestAgent,
  testCapabilities,
  uploadBlob,
} from '@tessera/testing';
import {
  CloseCode,
  CoordinatorMessage,
  ErrorMessage,
  HeartbeatAckMessage,
  LeaseMessage,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
} from '@tessera/protocol';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { ProviderGateway } from './provider-gateway';

const RANDOM_ATTEMPT = '00000000-0000-4000-8000-000000000000';

describe('provider gateway', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let apiKey: string;
  /** Every agent a test opens; closed after each test so no claim is left waiting for the next test's jobs. */
  let agents: TestAgent[] = [];

  beforeAll(async () => {
    // A 1 s challenge lifetime keeps the auth-timeout test short; every other agent answers at once.
    env = await startTestCoordinator({ TESSERA_AUTH_TIMEOUT_SEC: '1' });
    db = env.get(getDataSourceToken());
    ({ apiKey } = await createAccount(env.url));
  });
  afterEach(() => {
    for (const agent of agents) agent.close();
    agents = [];
  });
  afterAll(() => env.stop());

  async function open(keypair?: Ed25519Keypair): Promise<TestAgent> {
    const agent = await TestAgent.open(env.url, keypair);
    agents.push(agent);
    return agent;
  }

  async function connect(keypair?: Ed25519Keypair): Promise<TestAgent> {
    const agent = await TestAgent.connect(env.url, { keypair });
    agents.push(agent);
    return agent;
  }

  async function submitJob(extra = ''): Promise<string> {
    const data = await gql<{ submitContainerJob: { id: string } }>(
      env.url,
      `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ["true"] ${extra} }) { id } }`,
      {},
      apiKey,
    );
    return data.submitContainerJob.id;
  }

  /** Takes every queued task out of the queue, so the next claim gets this test's job. */
  async function drainQueue(): Promise<void> {
    await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
  }

  /** Queues a job and leases its task to `agent`. */
  async function leaseTo(agent: TestAgent): Promise<LeaseMessage['lease']> {
    await drainQueue();
    const jobId = await submitJob();
    const reply = await agent.request({ type: 'claim' });
    if (reply.type !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(reply)}`);
    expect(reply.lease.jobId).toBe(jobId);
    return reply.lease;
  }

  async function providerRows(address: string): Promise<number> {
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM provider WHERE address = $1`, [
      address,
    ]);
    return count;
  }

  async function taskAndAttempt(attemptId: string): Promise<unknown> {
    const [row] = await db.query(
      `SELECT to_jsonb(t) AS task, to_jsonb(a) AS attempt FROM attempt a JOIN task t ON t.id = a.task_id
        WHERE a.id = $1`,
      [attemptId],
    );
    return row;
  }

  function expectError(reply: CoordinatorMessage, code: ErrorMessage['code']): ErrorMessage {
    expect(reply).toMatchObject({ type: 'error', code });
    return reply as ErrorMessage;
  }

  it('moves a job from submission to completion over the real protocol', async () => {
    const agent = await TestAgent.connect(env.url);
    const jobId = await submitJob();
    const lease = (await agent.request({ type: 'claim' })) as LeaseMessage;
    expect(lease.type).toBe('lease');
    expect(lease.lease.jobId).toBe(jobId);
    expect(await agent.request({ type: 'task.started', attemptId: lease.lease.attemptId })).toMatchObject({
      type: 'ok',
    });

    const bytes = randomBytes(100);
    const sha256 = sha256Hex(bytes);
    const put = await uploadBlob(env.url, bytes, agent.welcome?.blobToken as string, sha256);
    expect(put.status).toBe(201);
    const startedAt = new Date().toISOString();
    const reply = await agent.request({
      type: 'task.completed',
      attemptId: lease.lease.attemptId,
      outputs: [{ path: 'out.bin', sha256, size: 100 }],
      startedAt,
      finishedAt: new Date().toISOString(),
    });
    expect(reply).toMatchObject({ type: 'ok' });
    const job = await gql<{ job: { state: string; outputs: { sha256: string }[] } }>(
      env.url,
      `query($id: ID!) { job(id: $id) { state outputs { sha256 } } }`,
      { id: jobId },
      apiKey,
    );
    expect(job.job).toEqual({ state: 'COMPLETED', outputs: [{ sha256 }] });
    agent.close();
  });

  describe('authentication', () => {
    it('refuses a wrong signature with AUTH_FAILED, closes 4401 and registers no provider', async () => {
      const agent = await open();
      const wrong = agent.signatureFor(randomBytes(32).toString('base64url'));

      const reply = await agent.auth({ signature: wrong });

      expect(expectError(reply, 'AUTH_FAILED').message).toContain('signature');
      expect((await agent.whenClosed()).code).toBe(CloseCode.Unauthenticated);
      expect(await providerRows(agent.keypair.address)).toBe(0);
    });

    it('refuses a signature captured on one socket and replayed on another', async () => {
      const keypair = Ed25519Keypair.generate();
      const first = await open(keypair);
      const captured = first.signatureFor(first.challenge?.nonce as string);
      const second = await open(keypair);

      const reply = await second.auth({ signature: captured });

      expectError(reply, 'AUTH_FAILED');
      expect((await second.whenClosed()).code).toBe(CloseCode.Unauthenticated);
      expect(await providerRows(keypair.address)).toBe(0);
      // The captured signature was genuine: it still works on the socket it was made for.
      expect((await first.auth({ signature: captured })).type).toBe('welcome');
      expect(await providerRows(keypair.address)).toBe(1);
    });

    it("refuses another socket's challenge nonce, even with a valid signature over it", async () => {
      const keypair = Ed25519Keypair.generate();
      const a = await open(keypair);
      const b = await open(keypair);
      const nonceOfA = a.challenge?.nonce as string;
      expect(b.challenge?.nonce).not.toBe(nonceOfA);

      const reply = await b.auth({ nonce: nonceOfA, signature: b.signatureFor(nonceOfA) });

      expectError(reply, 'AUTH_FAILED');
      expect((await b.whenClosed()).code).toBe(CloseCode.Unauthenticated);
      expect(await providerRows(keypair.address)).toBe(0);
    });

    it('refuses another protocol version with PROTOCOL_VERSION and closes 4426', async () => {
      const agent = await open();

      const reply = await agent.auth({ protocol: PROTOCOL_VERSION + 1 });

      expect(expectError(reply, 'PROTOCOL_VERSION').message).toContain(`protocol ${PROTOCOL_VERSION}`);
      expect((await agent.whenClosed()).code).toBe(CloseCode.ProtocolVersion);
      expect(await providerRows(agent.keypair.address)).toBe(0);
    });

    it('answers a claim before auth with UNAUTHENTICATED, closes 4401 and leases nothing', async () => {
      await drainQueue();
      const jobId = await submitJob();
      const agent = await open();

      const reply = await agent.request({ type: 'claim' });

      expectError(reply, 'UNAUTHENTICATED');
      expect((await agent.whenClosed()).code).toBe(CloseCode.Unauthenticated);
      const tasks = await db.query(`SELECT state, attempts FROM task WHERE job_id = $1`, [jobId]);
      expect(tasks).toEqual([{ state: 'QUEUED', attempts: 0 }]);
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM attempt WHERE job_id = $1`, [
        jobId,
      ]);
      expect(count).toBe(0);
      expect(await providerRows(agent.keypair.address)).toBe(0);
    });

    it.each([
      ['heartbeat', { type: 'heartbeat', attempts: [RANDOM_ATTEMPT] }],
      ['task.started', { type: 'task.started', attemptId: RANDOM_ATTEMPT }],
      ['task.failed', { type: 'task.failed', attemptId: RANDOM_ATTEMPT, code: 'AGENT_ERROR', message: 'x' }],
      ['capabilities', { type: 'capabilities', capabilities: testCapabilities() }],
    ])(
      'answers a well-formed %s before auth with UNAUTHENTICATED and closes 4401',
      async (_type, message) => {
        const agent = await open();

        expectError(await agent.request(message), 'UNAUTHENTICATED');
        expect((await agent.whenClosed()).code).toBe(CloseCode.Unauthenticated);
      },
    );

    it('refuses a task report before auth without touching the lease it names', async () => {
      const holder = await connect();
      const lease = await leaseTo(holder);
      const before = await taskAndAttempt(lease.attemptId);
      const intruder = await open();

      const reply = await intruder.request({
        type: 'task.failed',
        attemptId: lease.attemptId,
        code: 'AGENT_ERROR',
        message: 'sabotage',
      });

      expectError(reply, 'UNAUTHENTICATED');
      expect(await taskAndAttempt(lease.attemptId)).toEqual(before);
    });

    it('closes a socket that does not authenticate within the challenge lifetime with 4408', async () => {
      const opened = Date.now();
      const agent = await open();
      const expiresAt = Date.parse(agent.challenge?.expiresAt as string);
      expect(expiresAt - opened).toBeGreaterThanOrEqual(900);
      expect(expiresAt - opened).toBeLessThan(2000);

      const closed = await agent.whenClosed(5000);

      expect(closed.code).toBe(CloseCode.AuthTimeout);
      expect(Date.now() - opened).toBeGreaterThanOrEqual(900);
    });

    it('keeps an authenticated socket open past the challenge lifetime', async () => {
      const agent = await connect();
      await sleep(1300);
      expect(agent.closed).toBeUndefined();
      expect((await agent.request({ type: 'heartbeat', attempts: [] })).type).toBe('heartbeat.ack');
    });
  });

  describe('malformed frames', () => {
    it('answers each kind of malformed frame with BAD_MESSAGE naming the problem, and closes 4400 at the 10th', async () => {
      const agent = await connect();
      const bad = async (frame: string | Buffer): Promise<ErrorMessage> => {
        const reply = agent.next((m) => m.type === 'error');
        agent.sendRaw(frame);
        return expectError(await reply, 'BAD_MESSAGE');
      };

      expect((await bad('{"type": "claim", ')).message).toBe('not valid JSON');
      const unknown = await bad(JSON.stringify({ type: 'task.explode', id: 'u1' }));
      expect(unknown.message).toMatch(/^type: .*'claim'/);
      expect(unknown.re).toBe('u1');
      const missing = await bad(JSON.stringify({ type: 'heartbeat', id: 'm1' }));
      expect(missing.message).toMatch(/^attempts: /);
      expect(missing.re).toBe('m1');
      const extra = await bad(JSON.stringify({ type: 'claim', id: 'e1', gpus: 8 }));
      expect(extra.message).toContain('Unrecognized key: "gpus"');
      expect(extra.re).toBe('e1');
      expect((await bad(Buffer.from([0x7b, 0x7d]))).message).toBe('frames must be JSON text');
      for (let i = 6; i <= 9; i++) await bad(`garbage ${i}`);

      // Nine bad frames: still open, and good requests are still served.
      expect(agent.closed).toBeUndefined();
      expect((await agent.request({ type: 'heartbeat', attempts: [] })).type).toBe('heartbeat.ack');

      await bad('garbage 10');
      expect((await agent.whenClosed()).code).toBe(CloseCode.TooManyBadMessages);
    });

    it('closes an unauthenticated socket at its first malformed frame (4401)', async () => {
      const agent = await open();
      const reply = agent.next((m) => m.type === 'error');
      agent.sendRaw('not json');
      expectError(await reply, 'BAD_MESSAGE');
      expect((await agent.whenClosed()).code).toBe(CloseCode.Unauthenticated);
    });

    it('closes the socket with 1009 on a frame over 1 MiB and does not act on it', async () => {
      const agent = await connect();
      const lease = await leaseTo(agent);
      const before = await taskAndAttempt(lease.attemptId);
      // A schema-valid completion, just too big: enough outputs to pass the frame limit.
      const outputs = Array.from({ length: 12_000 }, (_, i) => ({
        path: `frames/${String(i).padStart(6, '0')}.png`,
        sha256: sha256Hex(String(i)),
        size: i,
      }));
      const frame = JSON.stringify({
        type: 'task.completed',
        id: 'big',
        attemptId: lease.attemptId,
        outputs,
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
      });
      expect(Buffer.byteLength(frame)).toBeGreaterThan(MAX_MESSAGE_BYTES);

      agent.sendRaw(frame);

      expect((await agent.whenClosed()).code).toBe(1009);
      expect(agent.received.some((m) => 're' in m && m.re === 'big')).toBe(false);
      expect(await taskAndAttempt(lease.attemptId)).toEqual(before);
    });
  });

  describe('leases', () => {
    it("answers NOT_LEASED to an agent reporting on another provider's attempt, and changes nothing", async () => {
      const holder = await connect();
      const lease = await leaseTo(holder);
      const before = await taskAndAttempt(lease.attemptId);
      const other = await connect();
      const now = new Date().toISOString();

      for (const message of [
        { type: 'task.started', attemptId: lease.attemptId },
        { type: 'task.completed', attemptId: lease.attemptId, outputs: [], startedAt: now, finishedAt: now },
        { type: 'task.failed', attemptId: lease.attemptId, code: 'EXIT_NONZERO', message: 'no', exitCode: 1 },
      ]) {
        expectError(await other.request(message), 'NOT_LEASED');
      }
      const ack = (await other.request({
        type: 'heartbeat',
        attempts: [lease.attemptId],
      })) as HeartbeatAckMessage;
      expect(ack.renewed).toEqual([]);
      expect(ack.revoked.map((r) => r.attemptId)).toEqual([lease.attemptId]);

      expect(await taskAndAttempt(lease.attemptId)).toEqual(before);
      // The holder is unaffected: it still completes its task.
      expect(
        await holder.request({
          type: 'task.completed',
          attemptId: lease.attemptId,
          outputs: [],
          startedAt: now,
          finishedAt: now,
        }),
      ).toMatchObject({ type: 'ok' });
    });

    it('answers NOT_LEASED to reports on an attempt that does not exist, and creates nothing', async () => {
      const agent = await connect();
      const [{ count: attemptsBefore }] = await db.query(`SELECT count(*)::int AS count FROM attempt`);
      const now = new Date().toISOString();
      const ghost = randomUUID();

      expectError(await agent.request({ type: 'task.started', attemptId: ghost }), 'NOT_LEASED');
      expectError(
        await agent.request({
          type: 'task.completed',
          attemptId: ghost,
          outputs: [],
          startedAt: now,
          finishedAt: now,
        }),
        'NOT_LEASED',
      );
      expectError(
        await agent.request({ type: 'task.failed', attemptId: ghost, code: 'AGENT_ERROR', message: 'x' }),
        'NOT_LEASED',
      );

      const [{ count: attemptsAfter }] = await db.query(`SELECT count(*)::int AS count FROM attempt`);
      expect(attemptsAfter).toBe(attemptsBefore);
    });

    it('holds a claim with no work open and leases within a second of a job being submitted', async () => {
      await drainQueue();
      const agent = await connect();
      const waiters = env.get<ProviderGateway>(ProviderGateway).waiters;
      const waitingBefore = waiters.size;
      const reply = agent.request({ type: 'claim' });
      await eventually(() => waiters.size > waitingBefore);
      await sleep(200);
      expect(agent.received.some((m) => m.type === 'lease' || m.type === 'no-work')).toBe(false);

      const submittedAt = Date.now();
      const jobId = await submitJob();
      const lease = (await reply) as LeaseMessage;

      expect(lease.type).toBe('lease');
      expect(lease.lease.jobId).toBe(jobId);
      expect(Date.now() - submittedAt).toBeLessThan(1000);
    });

    it('pushes cancel to the agent holding a task when the customer cancels the job', async () => {
      const agent = await connect();
      const lease = await leaseTo(agent);
      expect(await agent.request({ type: 'task.started', attemptId: lease.attemptId })).toMatchObject({
        type: 'ok',
      });
      const pushed = agent.next((m) => m.type === 'cancel');

      await gql(env.url, `mutation($id: ID!) { cancelJob(id: $id) { state } }`, { id: lease.jobId }, apiKey);

      expect(await pushed).toEqual({
        type: 'cancel',
        attemptId: lease.attemptId,
        reason: 'the customer cancelled the job',
      });
      const [attempt] = await db.query(`SELECT state FROM attempt WHERE id = $1`, [lease.attemptId]);
      expect(attempt.state).toBe('CANCELLED');
      // The agent then reports the cancellation as protocol.md says; that is acknowledged.
      expect(
        await agent.request({
          type: 'task.failed',
          attemptId: lease.attemptId,
          code: 'CANCELLED',
          message: 'stopped',
        }),
      ).toMatchObject({ type: 'ok' });
    });

    it('renews the lease on heartbeat and hands out a fresh blob token that works', async () => {
      const agent = await connect();
      const lease = await leaseTo(agent);
      const [{ leaseExpiresAt: storedBefore }] = await db.query(
        `SELECT lease_expires_at AS "leaseExpiresAt" FROM attempt WHERE id = $1`,
        [lease.attemptId],
      );
      await sleep(50);

      const ack = (await agent.request({
        type: 'heartbeat',
        attempts: [lease.attemptId],
      })) as HeartbeatAckMessage;

      expect(ack.type).toBe('heartbeat.ack');
      expect(ack.revoked).toEqual([]);
      expect(ack.renewed.map((r) => r.attemptId)).toEqual([lease.attemptId]);
      expect(Date.parse(ack.renewed[0].leaseExpiresAt)).toBeGreaterThan(Date.parse(lease.leaseExpiresAt));
      const [{ leaseExpiresAt: storedAfter }] = await db.query(
        `SELECT lease_expires_at AS "leaseExpiresAt" FROM attempt WHERE id = $1`,
        [lease.attemptId],
      );
      expect((storedAfter as Date).getTime()).toBeGreaterThan((storedBefore as Date).getTime());

      expect(ack.blobToken).not.toBe(agent.welcome?.blobToken);
      expect(Date.parse(ack.blobTokenExpiresAt)).toBeGreaterThan(
        Date.parse(agent.welcome?.blobTokenExpiresAt as string),
      );
      const bytes = randomBytes(64);
      expect((await uploadBlob(env.url, bytes, ack.blobToken, sha256Hex(bytes))).status).toBe(201);
    });
  });

  describe('rate limit', () => {
    it('refuses a flood with RATE_LIMITED naming each dropped request, and keeps serving the agent', async () => {
      const agent = await TestAgent.connect(env.url);
      const ids = Array.from({ length: 600 }, (_, i) => `hb-${i}`);
      const replies = new Map<string, string>();
      agent.socket.on('message', (data) => {
        const m = JSON.parse(String(data)) as { re?: string; type: string; code?: string };
        if (m.re?.startsWith('hb-')) replies.set(m.re, m.type === 'error' ? (m.code as string) : m.type);
      });
      for (const id of ids) agent.sendRaw(JSON.stringify({ type: 'heartbeat', id, attempts: [] }));
      await eventually(() => replies.size === ids.length, 15_000);
      const limited = [...replies.values()].filter((v) => v === 'RATE_LIMITED').length;
      expect(limited).toBeGreaterThan(0);
      expect([...replies.values()].filter((v) => v === 'heartbeat.ack').length).toBe(ids.length - limited);
      await new Promise((r) => setTimeout(r, 1_100)); // the bucket refills
      expect(await agent.request({ type: 'heartbeat', attempts: [] })).toMatchObject({
        type: 'heartbeat.ack',
      });
      agent.close();
    });
  });

  describe('connections', () => {
    it('closes the older socket with 4409 when the same key connects again, and keeps the provider online', async () => {
      const keypair = Ed25519Keypair.generate();
      const older = await connect(keypair);
      const newer = await connect(keypair);

      expect((await older.whenClosed()).code).toBe(CloseCode.Superseded);
      expect(newer.welcome?.providerId).toBe(older.welcome?.providerId);
      expect((await newer.request({ type: 'heartbeat', attempts: [] })).type).toBe('heartbeat.ack');
      // The older socket's disconnect must not mark the still-connected provider offline.
      await sleep(200);
      const [row] = await db.query(`SELECT connected_at AS "connectedAt" FROM provider WHERE address = $1`, [
        keypair.address,
      ]);
      expect(row.connectedAt).not.toBeNull();
      expect(await onlineOf(newer.welcome?.providerId as string)).toBe(true);
    });

    it('shows a connected provider online and a disconnected one offline', async () => {
      const agent = await connect();
      const providerId = agent.welcome?.providerId as string;
      expect(await onlineOf(providerId)).toBe(true);
      const listed = await gql<{ providers: { id: string; online: boolean }[] }>(
        env.url,
        `query { providers(onlineOnly: true) { id online } }`,
      );
      expect(listed.providers).toContainEqual({ id: providerId, online: true });

      agent.close();
      await agent.whenClosed();

      await eventually(async () => (await onlineOf(providerId)) === false);
      const after = await gql<{ providers: { id: string; online: boolean }[] }>(
        env.url,
        `query { providers(onlineOnly: false) { id online } }`,
      );
      expect(after.providers).toContainEqual({ id: providerId, online: false });
      const online = await gql<{ providers: { id: string }[] }>(
        env.url,
        `query { providers(onlineOnly: true) { id } }`,
      );
      expect(online.providers.map((p) => p.id)).not.toContain(providerId);
    });
  });

  async function onlineOf(providerId: string): Promise<boolean> {
    const data = await gql<{ provider: { online: boolean } }>(
      env.url,
      `query($id: ID!) { provider(id: $id) { online } }`,
      { id: providerId },
    );
    return data.provider.online;
  }
});
