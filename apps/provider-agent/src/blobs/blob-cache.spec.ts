import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BlobCache, placeBlob } from './blob-cache';
import { BlobClient } from './blob-client';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A blob of `size` bytes filled with `fill`, and its digest. */
function blob(fill: string, size = 100): { data: Buffer; sha256: string; size: number } {
  const data = Buffer.alloc(size, fill);
  return { data, sha256: sha256(data), size };
}

/**
 * The coordinator's blob API, faked at the HTTP level so the cache downloads through the real
 * BlobClient (temp file, size and digest check, rename). Counts GETs; can hold or corrupt them.
 */
class FakeBlobServer {
  readonly gets = new Map<string, number>();
  readonly blobs = new Map<string, Buffer>();
  corrupt = new Set<string>();
  private hold?: Promise<void>;
  private server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const digest = (req.url ?? '').split('/').pop() ?? '';
      this.gets.set(digest, (this.gets.get(digest) ?? 0) + 1);
      void (async () => {
        await this.hold;
        const data = this.blobs.get(digest);
        if (!data) {
          res.writeHead(404).end('{"error":{"code":"BLOB_NOT_FOUND"}}');
          return;
        }
        const body = this.corrupt.has(digest) ? Buffer.alloc(data.length, '!') : data;
        res.writeHead(200, { 'content-length': body.length }).end(body);
      })();
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  add(...blobs: { data: Buffer; sha256: string }[]): void {
    for (const b of blobs) this.blobs.set(b.sha256, b.data);
  }

  /** Answers nothing until the returned function is called. */
  holdResponses(): () => void {
    let open!: () => void;
    this.hold = new Promise((resolve) => (open = resolve));
    return () => {
      this.hold = undefined;
      open();
    };
  }

  getsOf(digest: string): number {
    return this.gets.get(digest) ?? 0;
  }
}

describe('BlobCache', () => {
  const logger = pino({ level: 'silent' });
  let server: FakeBlobServer;
  let client: BlobClient;
  let dir: string;

  function open(maxBytes: number): Promise<BlobCache> {
    return BlobCache.open({
      dir,
      maxBytes,
      fetch: (digest, size, destination) => client.download(digest, size, destination),
      logger,
    });
  }

  async function files(): Promise<string[]> {
    return (await readdir(dir)).sort();
  }

  beforeEach(async () => {
    server = new FakeBlobServer();
    client = new BlobClient(await server.start(), () => 'tpb_test');
    dir = join(await mkdtemp(join(tmpdir(), 'blob-cache-')), 'blobs');
  });

  afterEach(async () => {
    await server.stop();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('downloads a blob once and serves later requests from disk, read-only', async () => {
    const a = blob('a');
    server.add(a);
    const sut = await open(1000);

    const first = await sut.acquire(a.sha256, a.size);
    first?.release();
    const second = await sut.acquire(a.sha256, a.size);

    expect(second?.path).toBe(join(dir, a.sha256));
    expect(await readFile(second?.path as string)).toEqual(a.data);
    expect((await stat(second?.path as string)).mode & 0o777).toBe(0o444);
    expect(server.getsOf(a.sha256)).toBe(1);
    expect(sut.held()).toEqual([a.sha256]);
  });

  it('shares one download between tasks that want the same blob at once', async () => {
    const model = blob('m', 10_000);
    server.add(model);
    const sut = await open(100_000);
    const resume = server.holdResponses();

    const requests = [1, 2, 3].map(() => sut.acquire(model.sha256, model.size));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sut.held()).toEqual([]); // not listed until it is complete
    resume();
    const held = await Promise.all(requests);

    expect(server.getsOf(model.sha256)).toBe(1);
    expect(new Set(held.map((h) => h?.path))).toEqual(new Set([join(dir, model.sha256)]));
    expect(await readFile(join(dir, model.sha256))).toEqual(model.data);
  });

  it('evicts the least recently used blobs nobody holds once the total passes the budget', async () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((fill) => blob(fill));
    server.add(a, b, c, d);
    const sut = await open(300);
    for (const x of [a, b, c, a]) (await sut.acquire(x.sha256, x.size))?.release(); // a used last

    (await sut.acquire(d.sha256, d.size))?.release();

    expect(sut.held()).toEqual([d.sha256, a.sha256, c.sha256]);
    expect(await files()).toEqual([a.sha256, c.sha256, d.sha256].sort());
    expect(sut.sizeBytes).toBe(300);
  });

  it('never evicts a blob a running task holds, and trims the excess when it is released', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((fill) => blob(fill));
    server.add(a, b, c);
    const sut = await open(200);
    const task1 = await sut.acquire(a.sha256, a.size); // oldest, but in use
    const task2 = await sut.acquire(b.sha256, b.size);

    const task3 = await sut.acquire(c.sha256, c.size); // nothing free to evict: over budget for now

    expect(await files()).toEqual([a.sha256, b.sha256, c.sha256].sort());
    expect(sut.sizeBytes).toBe(300);
    task2?.release();
    expect(sut.held()).toEqual([c.sha256, a.sha256]);
    task1?.release();
    task3?.release();
    expect(sut.sizeBytes).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20)); // unlinks finish
    expect(await files()).toEqual([a.sha256, c.sha256].sort());
  });

  it('leaves nothing behind when a download fails its check, and downloads again next time', async () => {
    const a = blob('a');
    server.add(a);
    server.corrupt.add(a.sha256);
    const sut = await open(1000);

    const outcomes = await Promise.allSettled([sut.acquire(a.sha256, a.size), sut.acquire(a.sha256, a.size)]);

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/arrived corrupted/);
    expect(server.getsOf(a.sha256)).toBe(1);
    expect(await files()).toEqual([]);
    expect(sut.held()).toEqual([]);
    expect(sut.sizeBytes).toBe(0);

    server.corrupt.clear();
    const held = await sut.acquire(a.sha256, a.size);
    expect(await readFile(held?.path as string)).toEqual(a.data);
    expect(server.getsOf(a.sha256)).toBe(2);
  });

  it('re-indexes its directory after a restart, deleting what is not a complete blob', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((fill) => blob(fill));
    server.add(a, b, c);
    const before = await open(1000);
    for (const x of [a, b, c]) (await before.acquire(x.sha256, x.size))?.release();
    // Uses recorded in mtimes: b most recent, then a, then c.
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await utimes(join(dir, c.sha256), at(1), at(1));
    await utimes(join(dir, a.sha256), at(2), at(2));
    await utimes(join(dir, b.sha256), at(3), at(3));
    const truncated = blob('t');
    await writeFile(join(dir, truncated.sha256), ''); // emptied by a crash
    await writeFile(join(dir, `${blob('p').sha256}.partial`), 'half a download');
    await writeFile(join(dir, 'notes.txt'), 'stray');

    const sut = await open(1000);

    expect(sut.held()).toEqual([b.sha256, a.sha256, c.sha256]);
    expect(sut.sizeBytes).toBe(300);
    expect(await files()).toEqual([a.sha256, b.sha256, c.sha256].sort());
    const held = await sut.acquire(a.sha256, a.size);
    expect(await readFile(held?.path as string)).toEqual(a.data);
    expect(server.getsOf(a.sha256)).toBe(1); // served from disk after the restart
  });

  it('hashes a re-indexed blob before its first use and downloads it again when it is corrupt', async () => {
    const a = blob('a');
    server.add(a);
    const first = await open(1000);
    (await first.acquire(a.sha256, a.size))?.release();
    await rm(join(dir, a.sha256));
    await writeFile(join(dir, a.sha256), Buffer.alloc(a.size, 'x')); // right size, wrong content

    const sut = await open(1000);
    const held = await sut.acquire(a.sha256, a.size);

    expect(await readFile(held?.path as string)).toEqual(a.data);
    expect(server.getsOf(a.sha256)).toBe(2);
  });

  it('caches nothing when it is off or the blob is bigger than the whole budget', async () => {
    const big = blob('b', 2000);
    server.add(big);

    expect(await (await open(0)).acquire(big.sha256, big.size)).toBeUndefined();
    expect(await (await open(1000)).acquire(big.sha256, big.size)).toBeUndefined();
    expect(server.getsOf(big.sha256)).toBe(0);
  });

  it('lists at most 256 blobs in a claim, most recently used first', async () => {
    const blobs = Array.from({ length: 260 }, (_, i) => blob(String.fromCharCode(0x30 + (i % 64)), 1 + i));
    server.add(...blobs);
    const sut = await open(10 ** 6);
    for (const x of blobs) (await sut.acquire(x.sha256, x.size))?.release();

    const listed = sut.held();

    expect(listed).toHaveLength(256);
    expect(listed[0]).toBe(blobs[259].sha256);
    expect(listed[255]).toBe(blobs[4].sha256);
  });
});

describe('placeBlob', () => {
  it('hard-links the cached file into the task directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'place-blob-'));
    try {
      const source = join(root, 'blob');
      await writeFile(source, 'model');
      const destination = join(root, 'attempt', 'in', 'models', 'model.onnx');

      await placeBlob(source, destination);

      expect(await readFile(destination, 'utf8')).toBe('model');
      expect((await stat(destination)).ino).toBe((await stat(source)).ino);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
