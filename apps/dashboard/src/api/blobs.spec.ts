import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './errors';
import { fetchBlob, sha256Hex, uploadBlob, type XhrLike } from './blobs';

/** An XMLHttpRequest stand-in the test drives: progress events, then an answer. */
class FakeXhr implements XhrLike {
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: Blob | null = null;
  aborted = false;
  upload: XhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = '';
  responseText = '';

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: Blob) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent);
  }
  answer(status: number, body: unknown, statusText = '') {
    this.status = status;
    this.statusText = statusText;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

describe('sha256Hex', () => {
  it('hashes a file with WebCrypto to the digest blobs are addressed by', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) % 256);
    const expected = createHash('sha256').update(bytes).digest('hex');
    await expect(sha256Hex(new Blob([bytes]))).resolves.toBe(expected);
  });

  it('hashes an empty file', async () => {
    await expect(sha256Hex(new Blob([]))).resolves.toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('uploadBlob', () => {
  const file = new Blob([new Uint8Array(1000)]);
  const sha = 'ab'.repeat(32);

  it('PUTs the file to /v1/blobs/<sha256> with the key and reports progress up to the whole size', async () => {
    const xhr = new FakeXhr();
    const seen: [number, number][] = [];
    const sut = uploadBlob(file, sha, {
      apiKey: 'tsk_k',
      createXhr: () => xhr,
      onProgress: (s, t) => seen.push([s, t]),
    });
    expect(xhr.method).toBe('PUT');
    expect(xhr.url).toBe(`/v1/blobs/${sha}`);
    expect(xhr.headers).toEqual({
      'content-type': 'application/octet-stream',
      authorization: 'Bearer tsk_k',
    });
    expect(xhr.body).toBe(file);
    xhr.progress(400, 1000);
    xhr.progress(1000, 1000);
    xhr.answer(201, { sha256: sha, size: 1000 });

    await expect(sut).resolves.toEqual({ sha256: sha, size: 1000 });
    expect(seen).toEqual([
      [400, 1000],
      [1000, 1000],
      [1000, 1000],
    ]);
  });

  it("turns the coordinator's refusal into an ApiError with its code", async () => {
    const xhr = new FakeXhr();
    const sut = uploadBlob(file, sha, { apiKey: 'tsk_k', createXhr: () => xhr });
    xhr.answer(400, {
      error: { code: 'BLOB_HASH_MISMATCH', message: `the upload's SHA-256 is x, not ${sha}` },
    });
    await expect(sut).rejects.toMatchObject({ code: 'BLOB_HASH_MISMATCH', status: 400 });
    await expect(sut).rejects.toBeInstanceOf(ApiError);
  });

  it('reports a connection that broke mid-upload (an early 413 closes it) as a network error', async () => {
    const xhr = new FakeXhr();
    const sut = uploadBlob(file, sha, { apiKey: null, createXhr: () => xhr });
    xhr.onerror?.();
    await expect(sut).rejects.toMatchObject({ code: 'NETWORK' });
  });

  it('stops when its signal aborts', async () => {
    const xhr = new FakeXhr();
    const controller = new AbortController();
    const sut = uploadBlob(file, sha, { apiKey: null, createXhr: () => xhr, signal: controller.signal });
    controller.abort();
    await expect(sut).rejects.toMatchObject({ name: 'AbortError' });
    expect(xhr.aborted).toBe(true);
  });
});

describe('fetchBlob', () => {
  it('downloads with the API key, since blob URLs need it', async () => {
    const fetch = vi.fn(async () => new Response(new Uint8Array([1, 2, 3])));
    const blob = await fetchBlob('/v1/blobs/abc', 'tsk_k', { fetch });
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(fetch).toHaveBeenCalledWith(
      '/v1/blobs/abc',
      expect.objectContaining({ headers: { authorization: 'Bearer tsk_k' } }),
    );
  });

  it('reports a blob the account cannot read with the coordinator message', async () => {
    const fetch = vi.fn(
      async () =>
        new Response(
          JSON.stringify({ error: { code: 'BLOB_NOT_FOUND', message: 'no blob abc is available to you' } }),
          {
            status: 404,
          },
        ),
    );
    await expect(fetchBlob('/v1/blobs/abc', 'tsk_k', { fetch })).rejects.toMatchObject({
      code: 'BLOB_NOT_FOUND',
      message: 'BLOB_NOT_FOUND: no blob abc is available to you',
    });
  });
});
