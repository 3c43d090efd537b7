import { describe, expect, it } from 'vitest';
import { errorFromResponse } from './errors';

describe('errorFromResponse', () => {
  it('reads the REST error shape of /v1/* endpoints', () => {
    const sut = errorFromResponse(
      413,
      'Payload Too Large',
      JSON.stringify({
        error: {
          code: 'BLOB_TOO_LARGE',
          message: 'the upload (2000000 B) exceeds the 10 B limit; nothing was stored',
        },
      }),
    );
    expect(sut.code).toBe('BLOB_TOO_LARGE');
    expect(sut.message).toBe(
      'BLOB_TOO_LARGE: the upload (2000000 B) exceeds the 10 B limit; nothing was stored',
    );
    expect(sut.status).toBe(413);
  });

  it('calls an empty 401 UNAUTHENTICATED', () => {
    expect(errorFromResponse(401, 'Unauthorized', '').code).toBe('UNAUTHENTICATED');
  });

  it('treats any 404 as not found', () => {
    expect(errorFromResponse(404, 'Not Found', '').notFound).toBe(true);
  });
});
