import { describe, expect, it } from 'vitest';
import { errorFromGraphQL, errorFromResponse } from './errors';

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

describe('errorFromGraphQL', () => {
  it('keeps the field and the lines at fault of a refused batch', () => {
    const sut = errorFromGraphQL([
      {
        message:
          'INVALID_ROWS: the batch has rows the model cannot take; nothing was queued: line 3: missing "image"',
        extensions: {
          code: 'INVALID_ROWS',
          field: 'rows',
          lines: [{ line: 3, message: 'missing "image"' }, { line: 'x' }, null],
        },
      },
    ]);
    expect(sut.code).toBe('INVALID_ROWS');
    expect(sut.field).toBe('rows');
    expect(sut.lines).toEqual([{ line: 3, message: 'missing "image"' }]);
    expect(sut.detail).toMatch(/^the batch has rows/);
  });

  it('has no lines when the coordinator sent none', () => {
    expect(errorFromGraphQL([{ message: 'x', extensions: { code: 'BAD_INPUT' } }]).lines).toEqual([]);
  });
});
