import { ApiError, errorFromResponse, isAbort, networkError } from './errors';
import { authorization } from './graphql-client';

/** SHA-256 of a file as lowercase hex, with WebCrypto: the digest blobs are addressed by. */
export async function sha256Hex(file: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The parts of XMLHttpRequest an upload uses (tests pass a fake). */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  readonly upload: { onprogress: ((event: ProgressEvent) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  readonly status: number;
  readonly statusText: string;
  readonly responseText: string;
}

export interface UploadOptions {
  apiKey: string | null;
  /** Bytes sent so far and in all, as the browser reports them. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  baseUrl?: string;
  createXhr?: () => XhrLike;
}

export interface UploadedBlob {
  sha256: string;
  size: number;
}

/**
 * PUT /v1/blobs/<sha256> with upload progress. XMLHttpRequest, because fetch() reports no upload
 * progress. The coordinator checks the digest and size on arrival; its refusal (BLOB_TOO_LARGE,
 * BLOB_HASH_MISMATCH, UNAUTHENTICATED) becomes an ApiError with its message.
 */
export function uploadBlob(file: Blob, sha256: string, opts: UploadOptions): Promise<UploadedBlob> {
  return new Promise((resolve, reject) => {
    const xhr = (opts.createXhr ?? (() => new XMLHttpRequest() as unknown as XhrLike))();
    const onAbort = () => xhr.abort();
    const done = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.open('PUT', `${opts.baseUrl ?? ''}/v1/blobs/${sha256}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    for (const [name, value] of Object.entries(authorization(opts.apiKey))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) =>
      opts.onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      done();
      if (xhr.status === 200 || xhr.status === 201) {
        opts.onProgress?.(file.size, file.size);
        resolve({ sha256, size: file.size });
      } else reject(errorFromResponse(xhr.status, xhr.statusText, xhr.responseText));
    };
    // The coordinator may refuse (413) before the body is sent and close the connection: the
    // browser then reports a network error without the answer.
    xhr.onerror = () => {
      done();
      reject(networkError(new Error('the upload was interrupted')));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('the upload was cancelled', 'AbortError'));
    };
    if (opts.signal?.aborted) return xhr.onabort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(file);
  });
}

/**
 * Downloads an API path (`/v1/blobs/<sha256>`, a job's archive) with the API key. Blob downloads
 * need the `Authorization` header, so an <img src> or a plain link cannot fetch them: pages show
 * and save what this returns through object URLs.
 */
export async function fetchBlob(
  path: string,
  apiKey: string | null,
  opts: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<Blob> {
  const doFetch = opts.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  let res: Response;
  try {
    res = await doFetch(path, { headers: authorization(apiKey), signal: opts.signal });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw networkError(error);
  }
  if (!res.ok) throw errorFromResponse(res.status, res.statusText, await res.text().catch(() => ''));
  return res.blob();
}

/** Hands a downloaded blob to the browser as a file named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by now; give slow disks a minute before the bytes are released.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export { ApiError };
