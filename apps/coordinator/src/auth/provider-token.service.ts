import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';

export const PROVIDER_TOKEN_PREFIX = 'tpb_';
const TOKEN_TTL_MS = 15 * 60 * 1000;

/**
 * Short-lived bearer tokens that let an authenticated agent use the blob HTTP API. Stateless (an
 * HMAC over provider id and expiry with the shared secret), so any replica verifies any token; they
 * are renewed on every heartbeat and die with the provider's connection after at most 15 minutes.
 */
@Injectable()
export class ProviderTokenService {
  constructor(@Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig) {}

  issue(providerId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const expiresAt = new Date(now + TOKEN_TTL_MS);
    const body = `${providerId}.${expiresAt.getTime()}`;
    return { token: `${PROVIDER_TOKEN_PREFIX}${body}.${this.mac(body)}`, expiresAt };
  }

  /** The provider id, or undefined for a forged, malformed or expired token. */
  verify(token: string, now = Date.now()): string | undefined {
    if (!token.startsWith(PROVIDER_TOKEN_PREFIX) || token.length > 200) return undefined;
    const [providerId, expiry, mac] = token.slice(PROVIDER_TOKEN_PREFIX.length).split('.');
    if (!providerId || !expiry || !mac) return undefined;
    const expected = Buffer.from(this.mac(`${providerId}.${expiry}`));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    if (!(Number(expiry) > now)) return undefined;
    return providerId;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.config.auth.tokenSecret)
      .update(`provider-token:v1:${body}`)
      .digest('base64url');
  }
}
