import { CoordinatorConfig } from '../config/config';
import { PROVIDER_TOKEN_PREFIX, ProviderTokenService } from './provider-token.service';

const PROVIDER = '2b1f0c4e-7d1a-4f7e-9a51-0c6f1d2e3a4b';
const T0 = Date.UTC(2026, 0, 1);
const FIFTEEN_MINUTES = 15 * 60 * 1000;

function tokensWithSecret(tokenSecret: string): ProviderTokenService {
  return new ProviderTokenService({ auth: { tokenSecret } } as CoordinatorConfig);
}

describe('ProviderTokenService', () => {
  const sut = tokensWithSecret('s'.repeat(64));

  it('verifies a token it issued back to the provider id', () => {
    const { token } = sut.issue(PROVIDER, T0);
    expect(token.startsWith(PROVIDER_TOKEN_PREFIX)).toBe(true);
    expect(sut.verify(token, T0 + 1000)).toBe(PROVIDER);
  });

  it('issues tokens that expire after 15 minutes', () => {
    const { token, expiresAt } = sut.issue(PROVIDER, T0);
    expect(expiresAt.getTime()).toBe(T0 + FIFTEEN_MINUTES);
    expect(sut.verify(token, T0 + FIFTEEN_MINUTES - 1)).toBe(PROVIDER);
    expect(sut.verify(token, T0 + FIFTEEN_MINUTES)).toBeUndefined();
    expect(sut.verify(token, T0 + FIFTEEN_MINUTES + 60_000)).toBeUndefined();
  });

  it('refuses a token whose provider id was swapped for another', () => {
    const { token } = sut.issue(PROVIDER, T0);
    const other = '9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    expect(sut.verify(token.replace(PROVIDER, other), T0)).toBeUndefined();
  });

  it('refuses a token whose expiry was pushed into the future', () => {
    const { token } = sut.issue(PROVIDER, T0);
    const expiry = String(T0 + FIFTEEN_MINUTES);
    const extended = token.replace(`.${expiry}.`, `.${T0 + 100 * FIFTEEN_MINUTES}.`);
    expect(extended).not.toBe(token);
    expect(sut.verify(extended, T0 + 2 * FIFTEEN_MINUTES)).toBeUndefined();
  });

  it('refuses a token whose signature was altered by one character', () => {
    const { token } = sut.issue(PROVIDER, T0);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(sut.verify(token.slice(0, -1) + last, T0)).toBeUndefined();
  });

  it('refuses a token signed with another secret (another coordinator)', () => {
    const { token } = tokensWithSecret('o'.repeat(64)).issue(PROVIDER, T0);
    expect(sut.verify(token, T0)).toBeUndefined();
  });

  it('verifies on another replica that shares the secret', () => {
    const { token } = tokensWithSecret('s'.repeat(64)).issue(PROVIDER, T0);
    expect(sut.verify(token, T0)).toBe(PROVIDER);
  });

  it.each([
    ['an empty string', ''],
    ['an API key', 'tsk_abcdefghijklmnop'],
    ['the prefix alone', PROVIDER_TOKEN_PREFIX],
    ['a token without a signature', `${PROVIDER_TOKEN_PREFIX}${PROVIDER}.${T0 + 1000}`],
    ['a token with an empty signature', `${PROVIDER_TOKEN_PREFIX}${PROVIDER}.${T0 + 1000}.`],
    ['an overlong token', `${PROVIDER_TOKEN_PREFIX}${'x'.repeat(300)}`],
  ])('refuses %s', (_what, token) => {
    expect(sut.verify(token, T0)).toBeUndefined();
  });
});
