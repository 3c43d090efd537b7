import { describe, expect, it } from 'vitest';
import { parseCapabilities, supports } from './capabilities';

describe('capabilities', () => {
  const sut = parseCapabilities({
    query: { fields: [{ name: 'jobs' }, { name: 'deposits' }] },
    provider: { fields: [{ name: 'record' }, { name: 'earnings' }] },
    account: null,
  });

  it('needs every field a document asks for', () => {
    expect(supports(sut, { query: ['deposits'] })).toBe(true);
    expect(supports(sut, { provider: ['earnings', 'payouts'] })).toBe(false);
    expect(supports(sut, { account: ['balance'] })).toBe(false);
  });

  it('supports nothing while unknown', () => {
    expect(supports(null, { query: ['jobs'] })).toBe(false);
  });
});
