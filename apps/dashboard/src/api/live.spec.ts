import { describe, expect, it } from 'vitest';
import { liveError, liveUrl } from './live';

describe('live updates', () => {
  it('connect to /graphql on the page origin, over wss behind https', () => {
    expect(liveUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/graphql');
    expect(liveUrl({ protocol: 'https:', host: 'tessera.example' })).toBe('wss://tessera.example/graphql');
  });

  it('name a refused key, a closed connection and GraphQL errors in the API terms', () => {
    expect(liveError({ code: 4403, reason: 'Forbidden' }).code).toBe('UNAUTHENTICATED');
    expect(liveError({ code: 1011, reason: 'boom' }).message).toBe(
      'LIVE_CLOSED: live updates stopped (1011 boom); reload to resume',
    );
    expect(
      liveError([{ message: 'JOB_NOT_FOUND: no job x', extensions: { code: 'JOB_NOT_FOUND' } }]).notFound,
    ).toBe(true);
    expect(liveError(new Event('error')).code).toBe('NETWORK');
  });
});
