import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@tessera/crypto';

export const API_KEY_PREFIX = 'tsk_';

export interface NewApiKey {
  /** What the customer sends as `Authorization: Bearer <secret>`; shown once, never stored. */
  secret: string;
  /** The first characters, stored to tell keys apart in listings. */
  prefix: string;
  /** SHA-256 of the secret: what is stored and looked up. */
  keyHash: string;
}

/** A new random key (192 bits). */
export function generateApiKey(): NewApiKey {
  const secret = API_KEY_PREFIX + randomBytes(24).toString('base64url');
  return { secret, prefix: secret.slice(0, 10), keyHash: sha256Hex(secret) };
}

/** The stored form of a presented key; undefined for text that cannot be one of ours. */
export function hashApiKey(secret: string): string | undefined {
  if (!secret.startsWith(API_KEY_PREFIX) || secret.length > 100) return undefined;
  return sha256Hex(secret);
}
