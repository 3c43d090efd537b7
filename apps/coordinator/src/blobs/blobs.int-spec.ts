import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, relative } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { sha256Hex } from '@tessera/crypto';
import type { LeaseMessage } from '@tessera/protocol';
import {
  createAccount,
  downloadBlob,
  eventually,
  gql,
  gqlRaw,
  TestAgent,
  uploadBlob,
} from '@tessera/testing';
import { DataSource } from 'typeorm';
import { startTestCoordinator, TestCoordinator } from '../../test/coordinator-harness';
import { CoordinatorConfig, COORDINATOR_CONFIG } from '../config/config';

const MIB = 1024 * 1024;

interface RawResponse {
  status: number;
  /** Whether the request went over a kept-alive connection an earlier request used. */
  reused: boolean;
  headers: Record<string, string | string[] | undefined>;
  body: { sha256?: string; size?: number; error?: { code: string; message: string } };
}

/**
 * Sends a request with node:http, streaming `chunks` (chunked transfer encoding unless a
 * Content-Length header is given), so tests control exactly what goes on the wire.
 */
function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  chunks: Iterable<Buffer> = [],
  agent?: Agent,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { method, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          reused: req.reusedSocket,
          headers: res.headers,
          body: text ? JSON.parse(text) : {},
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    const iterator = chunks[Symbol.iterator]();
    // Respect backpressure so a large upload is never buffered in this (the same) process.
    const pump = (): void => {
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

function* repeated(chunk: Buffer, times: number): Iterable<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  } catch {
    return [];
  }
}

describe('blob HTTP API', () => {
  let env: TestCoordinator;
  let db: DataSource;
  let blobDir: string;
  let owner: string;
  let stranger: string;

  beforeAll(async () => {
    env = await startTestCoordinator({ TESSERA_MAX_BLOB_MB: '1' });
    db = env.get(getDataSourceToken());
    blobDir = env.get<CoordinatorConfig>(COORDINATOR_CONFIG).blobs.dir;
    ({ apiKey: owner } = await createAccount(env.url, 'owner'));
    ({ apiKey: stranger } = await createAccount(env.url, 'stranger'));
  });
  afterAll(() => env.stop());

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  async function blobRows(sha256: string): Promise<number> {
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM blob WHERE sha256 = $1`, [sha256]);
    return count;
  }

  /** Runs `act` and checks that it stored nothing: no new blob row and no new file, incoming/ included. */
  async function expectNothingStored(act: () => Promise<void>): Promise<void> {
    const [{ count: rowsBefore }] = await db.query(`SELECT count(*)::int AS count FROM blob`);
    const filesBefore = filesUnder(blobDir);
    await act();
    const [{ count: rowsAfter }] = await db.query(`SELECT count(*)::int AS count FROM blob`);
    expect(rowsAfter).toBe(rowsBefore);
    expect(filesUnder(blobDir)).toEqual(filesBefore);
    expect(filesUnder(join(blobDir, 'incoming'))).toEqual([]);
  }

  describe('upload and download', () => {
    it('stores a PUT whose bytes match its digest and serves the same bytes back to the uploader', async () => {
      const bytes = randomBytes(300_000);
      const sha256 = sha256Hex(bytes);

      const put = await uploadBlob(env.url, bytes, owner, sha256);

      expect(put).toEqual({ status: 201, body: { sha256, size: bytes.length } });
      expect(await blobRows(sha256)).toBe(1);
      const res = await fetch(new URL(`/v1/blobs/${sha256}`, env.url), { headers: auth(owner) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('etag')).toBe(`"${sha256}"`);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('answers HEAD with the size and no body', async () => {
      const bytes = randomBytes(1234);
      const sha256 = sha256Hex(bytes);
      await uploadBlob(env.url, bytes, owner, sha256);

      const res = await fetch(new URL(`/v1/blobs/${sha256}`, env.url), {
        method: 'HEAD',
        headers: auth(owner),
      });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('1234');
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('computes and returns the digest of a POSTed upload', async () => {
      const bytes = randomBytes(5000);

      const post = await uploadBlob(env.url, bytes, owner);

      expect(post).toEqual({ status: 201, body: { sha256: sha256Hex(bytes), size: 5000 } });
      const download = await downloadBlob(env.url, sha256Hex(bytes), owner);
      expect(download.status).toBe(200);
      expect(download.bytes.equals(bytes)).toBe(true);
    });

    it('stores a chunked upload (no Content-Length) within the limit', async () => {
      const chunk = randomBytes(64 * 1024);
      const sha256 = createHash('sha256').update(chunk).update(chunk).update(chunk).digest('hex');

      const res = await send(env.url, 'PUT', `/v1/blobs/${sha256}`, auth(owner), repeated(chunk, 3));

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ sha256, size: 3 * chunk.length });
    });

    it('accepts the same content twice and keeps one copy', async () => {
      const bytes = randomBytes(100);
      const sha256 = sha256Hex(bytes);
      expect((await uploadBlob(env.url, bytes, owner, sha256)).status).toBe(201);
      expect((await uploadBlob(env.url, bytes, stranger, sha256)).status).toBe(201);
      expect(await blobRows(sha256)).toBe(1);
      expect(filesUnder(blobDir).filter((f) => f.endsWith(sha256))).toHaveLength(1);
    });
  });

  describe('refused uploads store nothing', () => {
    it('refuses bytes that do not hash to the digest in the URL with 400 BLOB_HASH_MISMATCH', async () => {
      const bytes = randomBytes(2000);
      const claimed = sha256Hex('something else');
      let res!: Awaited<ReturnType<typeof uploadBlob>>;

      await expectNothingStored(async () => {
        res = await uploadBlob(env.url, bytes, owner, claimed);
      });

      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('BLOB_HASH_MISMATCH');
      expect(res.body.error?.message).toContain(sha256Hex(bytes));
      expect(res.body.error?.message).toContain(claimed);
      expect(await blobRows(claimed)).toBe(0);
      expect(await blobRows(sha256Hex(bytes))).toBe(0);
    });

    it('refuses an upload over the size limit by its Content-Length with 413 BLOB_TOO_LARGE', async () => {
      const bytes = randomBytes(MIB + 1);
      let res!: Awaited<ReturnType<typeof uploadBlob>>;

      await expectNothingStored(async () => {
        res = await uploadBlob(env.url, bytes, owner, sha256Hex(bytes));
      });

      expect(res.status).toBe(413);
      expect(res.body.error?.code).toBe('BLOB_TOO_LARGE');
      expect(res.body.error?.message).toContain('1.0 MiB limit');
    });

    it('refuses a chunked upload (no Content-Length) once it passes the limit with 413 BLOB_TOO_LARGE', async () => {
      const chunk = randomBytes(256 * 1024);
      let res!: RawResponse;

      await expectNothingStored(async () => {
        res = await send(env.url, 'POST', '/v1/blobs', auth(owner), repeated(chunk, 5));
      });

      expect(res.status).toBe(413);
      expect(res.body.error?.code).toBe('BLOB_TOO_LARGE');
      expect(res.body.error?.message).toContain('nothing was stored');
    });

    it('keeps a keep-alive connection usable after refusing an oversize upload', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const chunk = randomBytes(256 * 1024);
        const bytes = randomBytes(100);
        const sha256 = sha256Hex(bytes);
        const first = await send(env.url, 'POST', '/v1/blobs', auth(owner), repeated(chunk, 8), agent);
        expect(first.status).toBe(413);

        const started = Date.now();
        const second = await send(env.url, 'PUT', `/v1/blobs/${sha256}`, auth(owner), [bytes], agent);

        expect(second.reused).toBe(true);
        expect(second.status).toBe(201);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        agent.destroy();
      }
    });

    it('accepts an upload of exactly the limit', async () => {
      const bytes = randomBytes(MIB);
      expect((await uploadBlob(env.url, bytes, owner, sha256Hex(bytes))).status).toBe(201);
    });

    it.each([
      ['uppercase hex', 'A'.repeat(64)],
      ['too short', 'abc123'],
      ['not hex', 'z'.repeat(64)],
    ])('refuses a digest that is %s with 400 BLOB_BAD_DIGEST', async (_what, digest) => {
      let res!: Awaited<ReturnType<typeof uploadBlob>>;
      await expectNothingStored(async () => {
        res = await uploadBlob(env.url, randomBytes(10), owner, digest);
      });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('BLOB_BAD_DIGEST');
      const download = await fetch(new URL(`/v1/blobs/${digest}`, env.url), { headers: auth(owner) });
      expect(download.status).toBe(400);
    });
  });

  describe('access', () => {
    let sha256: string;

    beforeAll(async () => {
      const bytes = randomBytes(4096);
      sha256 = sha256Hex(bytes);
      expect((await uploadBlob(env.url, bytes, owner, sha256)).status).toBe(201);
    });

    it('refuses an upload and a download without credentials with 401', async () => {
      await expectNothingStored(async () => {
        const put = await send(env.url, 'POST', '/v1/blobs', {}, [randomBytes(10)]);
        expect(put.status).toBe(401);
        expect(put.body.error?.code).toBe('UNAUTHENTICATED');
      });
      const get = await fetch(new URL(`/v1/blobs/${sha256}`, env.url));
      expect(get.status).toBe(401);
    });

    it('refuses a bad API key with 401 UNAUTHENTICATED', async () => {
      for (const key of ['tsk_not-a-real-key', 'tpb_forged.123.abc']) {
        await expectNothingStored(async () => {
          const put = await uploadBlob(env.url, randomBytes(10), key);
          expect(put.status).toBe(401);
          expect(put.body.error?.code).toBe('UNAUTHENTICATED');
        });
        const get = await fetch(new URL(`/v1/blobs/${sha256}`, env.url), { headers: auth(key) });
        expect(get.status).toBe(401);
        expect(((await get.json()) as RawResponse['body']).error?.code).toBe('UNAUTHENTICATED');
      }
    });

    it("answers another account's blob exactly like an unknown one (404), for GET and HEAD", async () => {
      const unknown = sha256Hex('never uploaded');
      const foreign = await fetch(new URL(`/v1/blobs/${sha256}`, env.url), { headers: auth(stranger) });
      const missing = await fetch(new URL(`/v1/blobs/${unknown}`, env.url), { headers: auth(stranger) });

      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      const foreignBody = (await foreign.json()) as RawResponse['body'];
      const missingBody = (await missing.json()) as RawResponse['body'];
      expect(foreignBody.error?.code).toBe('BLOB_NOT_FOUND');
      expect(foreignBody.error?.message.replace(sha256, '<sha>')).toBe(
        missingBody.error?.message.replace(unknown, '<sha>'),
      );
      const head = await fetch(new URL(`/v1/blobs/${sha256}`, env.url), {
        method: 'HEAD',
        headers: auth(stranger),
      });
      expect(head.status).toBe(404);
    });

    it("tells an uploader which of its files it still has to send, without revealing anyone else's", async () => {
      const PLAN = `query($s: [String!]!) { blobUploadPlan(sha256: $s) { missing maxBytes } }`;
      const unknown = sha256Hex('never uploaded');
      const plan = (key: string, s: string[]) =>
        gql<{ blobUploadPlan: { missing: string[]; maxBytes: number } }>(env.url, PLAN, { s }, key);
      expect(await plan(owner, [unknown, sha256, unknown])).toEqual({
        blobUploadPlan: { missing: [unknown], maxBytes: MIB },
      });
      // The stranger's answer for the owner's blob is the same as for one nobody uploaded.
      expect((await plan(stranger, [sha256, unknown])).blobUploadPlan.missing).toEqual([sha256, unknown]);
      const refused = async (key: string | undefined, s: unknown) =>
        (await gqlRaw(env.url, PLAN, { s }, key)).errors?.map((e) => e.extensions?.code);
      expect(await refused(owner, [])).toEqual(['BAD_INPUT']);
      expect(await refused(owner, [sha256.toUpperCase()])).toEqual(['BAD_INPUT']);
      expect(
        await refused(
          owner,
          Array.from({ length: 1001 }, () => unknown),
        ),
      ).toEqual(['BAD_INPUT']);
      expect(await refused(undefined, [unknown])).toEqual(['UNAUTHENTICATED']);
    });

    it('lets an agent read the inputs of a task it holds, and nothing else', async () => {
      const other = randomBytes(10);
      const otherSha = sha256Hex(other);
      await uploadBlob(env.url, other, owner, otherSha);
      await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
      await gql(
        env.url,
        `mutation($sha: String!) { submitContainerJob(input: {
           image: "tessera/toolbox:1", command: ["cat", "/in/data.bin"], inputs: [{ sha256: $sha, path: "data.bin" }] }) { id } }`,
        { sha: sha256 },
        owner,
      );
      const holder = await TestAgent.connect(env.url);
      const bystander = await TestAgent.connect(env.url);
      try {
        const tokenOf = (a: TestAgent) => a.welcome?.blobToken as string;
        // Before it holds the lease, the agent cannot read the input.
        expect((await downloadBlob(env.url, sha256, tokenOf(holder))).status).toBe(404);

        const lease = (await holder.request({ type: 'claim' })) as LeaseMessage;
        expect(lease.lease.container.inputs.map((i) => i.sha256)).toEqual([sha256]);

        const input = await downloadBlob(env.url, sha256, tokenOf(holder));
        expect(input.status).toBe(200);
        expect(sha256Hex(input.bytes)).toBe(sha256);
        expect((await downloadBlob(env.url, otherSha, tokenOf(holder))).status).toBe(404);
        expect((await downloadBlob(env.url, sha256, tokenOf(bystander))).status).toBe(404);

        // Once the task is finished, the lease no longer opens the input.
        const now = new Date().toISOString();
        await holder.request({
          type: 'task.completed',
          attemptId: lease.lease.attemptId,
          outputs: [],
          startedAt: now,
          finishedAt: now,
        });
        expect((await downloadBlob(env.url, sha256, tokenOf(holder))).status).toBe(404);
      } finally {
        holder.close();
        bystander.close();
      }
    });

    it('lets an agent upload only while it holds a lease (403 FORBIDDEN otherwise)', async () => {
      await db.query(`UPDATE task SET state = 'CANCELLED' WHERE state = 'QUEUED'`);
      const agent = await TestAgent.connect(env.url);
      try {
        const token = agent.welcome?.blobToken as string;
        const bytes = randomBytes(50);
        await expectNothingStored(async () => {
          const refused = await uploadBlob(env.url, bytes, token, sha256Hex(bytes));
          expect(refused.status).toBe(403);
          expect(refused.body.error?.code).toBe('FORBIDDEN');
        });

        await gql(
          env.url,
          `mutation { submitContainerJob(input: { image: "tessera/toolbox:1", command: ["true"] }) { id } }`,
          {},
          owner,
        );
        expect((await agent.request({ type: 'claim' })).type).toBe('lease');

        const accepted = await uploadBlob(env.url, bytes, token, sha256Hex(bytes));
        expect(accepted).toEqual({ status: 201, body: { sha256: sha256Hex(bytes), size: 50 } });
        // An agent's upload grants no account access; only acceptance of the task does.
        expect((await downloadBlob(env.url, sha256Hex(bytes), owner)).status).toBe(404);
      } finally {
        agent.close();
      }
    });
  });
});

describe('blob HTTP API memory use', () => {
  let env: TestCoordinator;
  let apiKey: string;

  beforeAll(async () => {
    env = await startTestCoordinator();
    ({ apiKey } = await createAccount(env.url));
  });
  afterAll(() => env.stop());

  it('streams a 50 MiB upload to disk without holding it in memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    /** Live heap and buffer memory of this process (coordinator and client both run here). */
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const incoming = join(env.get<CoordinatorConfig>(COORDINATOR_CONFIG).blobs.dir, 'incoming');
    const incomingBytes = () =>
      filesUnder(incoming).reduce((sum, f) => sum + statSync(join(incoming, f)).size, 0);
    // One 64 KiB chunk sent 800 times: the client allocates nothing per chunk.
    const chunk = randomBytes(64 * 1024);
    const times = 800;
    const pauseAt = 720; // 45 MiB
    const hash = createHash('sha256');
    for (let i = 0; i < times; i++) hash.update(chunk);
    const sha256 = hash.digest('hex');
    const baseline = live();
    let midway = 0;

    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        new URL(`/v1/blobs/${sha256}`, env.url),
        { method: 'PUT', headers: { authorization: `Bearer ${apiKey}` } },
        (r) => {
          const parts: Buffer[] = [];
          r.on('data', (c: Buffer) => parts.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = async (): Promise<void> => {
        while (sent < times) {
          if (sent === pauseAt) {
            // Paused with 45 MiB sent: a streaming server has most of it on disk, not in memory.
            await eventually(() => incomingBytes() >= 40 * MIB, 10_000);
            midway = live();
          }
          sent++;
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      };
      pump().catch(reject);
    });

    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ sha256, size: times * chunk.length });
    expect((midway - baseline) / MIB).toBeLessThan(30);
    expect((live() - baseline) / MIB).toBeLessThan(30);
  });
});
