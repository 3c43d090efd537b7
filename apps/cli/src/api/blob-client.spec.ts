import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeCoordinator, sha256 } from '../../test/fake-coordinator';
import { tempDir } from '../../test/cli-harness';
import { CliConfig } from '../config/cli-config';
import { BlobClient, HashMismatchError } from './blob-client';

function configFor(url: string, apiKey?: string): CliConfig {
  return {
    url,
    apiKey,
    apiKeySource: apiKey ? 'TESSERA_API_KEY' : undefined,
    configPath: '/nowhere',
    warnings: [],
  };
}

describe('BlobClient', () => {
  let fake: FakeCoordinator;
  let apiKey: string;
  let sut: BlobClient;
  let dir: string;

  beforeEach(async () => {
    fake = await FakeCoordinator.start();
    apiKey = fake.addAccount();
    sut = new BlobClient(configFor(fake.url, apiKey));
    dir = tempDir();
  });
  afterEach(() => fake.stop());

  function file(bytes: Buffer): string {
    const path = join(dir, 'upload.bin');
    writeFileSync(path, bytes);
    return path;
  }

  it('streams an upload with its Content-Length and reports every byte as progress', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 1);
    const seen: number[] = [];
    await sut.upload(file(bytes), sha256(bytes), bytes.length, (n) => seen.push(n));

    expect(seen.length).toBeGreaterThan(1);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(bytes.length);
    expect(fake.blobs.get(sha256(bytes))?.bytes.equals(bytes)).toBe(true);
    expect(await sut.exists(sha256(bytes))).toBe(true);
  });

  it('says a blob is missing (HEAD 404) so that it gets uploaded', async () => {
    expect(await sut.exists('0'.repeat(64))).toBe(false);
  });

  it('turns a 400 BLOB_HASH_MISMATCH into its one-line message', async () => {
    const bytes = Buffer.from('the real bytes');
    await expect(sut.upload(file(bytes), 'f'.repeat(64), bytes.length)).rejects.toThrow(
      `BLOB_HASH_MISMATCH: the upload's SHA-256 is ${sha256(bytes)}, not ${'f'.repeat(64)}: it was corrupted or truncated in transit; nothing was stored`,
    );
  });

  it('turns a 413 into BLOB_TOO_LARGE: …', async () => {
    fake.maxBlobBytes = 10;
    const bytes = Buffer.alloc(2_000_000);
    await expect(sut.upload(file(bytes), sha256(bytes), bytes.length)).rejects.toThrow(
      /^BLOB_TOO_LARGE: the upload \(2000000 B\) exceeds the 10 B limit; nothing was stored$/,
    );
  });

  it('names where a refused API key came from, for uploads and existence checks', async () => {
    const bad = new BlobClient(configFor(fake.url, 'tsk_wrong'));
    const bytes = Buffer.from('x');
    await expect(bad.upload(file(bytes), sha256(bytes), 1)).rejects.toThrow(
      'UNAUTHENTICATED: the API key is not valid (revoked, mistyped or from another coordinator) (API key from TESSERA_API_KEY)',
    );
    await expect(bad.exists(sha256(bytes))).rejects.toThrow(
      'UNAUTHENTICATED: the coordinator refused the API key (API key from TESSERA_API_KEY)',
    );
  });

  it('keeps a download only when it hashes to the expected digest', async () => {
    const bytes = Buffer.from('frame bytes');
    const digest = fake.addBlob(bytes, apiKey);
    const dest = join(dir, 'frame.png');
    fake.corruptDownloads.set(digest, 1);

    const corrupted = sut.download(`/v1/blobs/${digest}`, dest, {
      expectedSha256: digest,
      label: 'frame.png',
    });
    await expect(corrupted).rejects.toBeInstanceOf(HashMismatchError);
    await expect(corrupted).rejects.toThrow(
      /^frame\.png: the downloaded bytes hash to [0-9a-f]{64}, not [0-9a-f]{64}; the file was not kept$/,
    );
    expect(readdirSync(dir)).toEqual([]);

    const result = await sut.download(`/v1/blobs/${digest}`, dest, { expectedSha256: digest });
    expect(result).toMatchObject({ sha256: digest, size: bytes.length });
    expect(readFileSync(dest)).toEqual(bytes);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('reports a blob the account cannot read with the coordinator message', async () => {
    await expect(sut.download(`/v1/blobs/${'a'.repeat(64)}`, join(dir, 'x'))).rejects.toThrow(
      `BLOB_NOT_FOUND: no blob ${'a'.repeat(64)} is available to you`,
    );
  });

  it('says which coordinator it could not reach', async () => {
    const url = fake.url;
    await fake.stop();
    fake = await FakeCoordinator.start(); // for afterEach
    await expect(new BlobClient(configFor(url, apiKey)).exists('0'.repeat(64))).rejects.toThrow(
      `cannot reach the coordinator at ${url} (ECONNREFUSED): is it running? Set --url or TESSERA_URL`,
    );
  });
});
