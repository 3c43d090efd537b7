import { AppError } from '../common/app-error';

/** Who is calling: services take this first, whatever the edge (GraphQL, HTTP, gateway, tests). */
export type Actor =
  | { kind: 'anonymous' }
  /** A customer; `apiKeyId` is the key the request came with (absent for internal callers). */
  | { kind: 'account'; accountId: string; apiKeyId?: string }
  /** A provider agent, authenticated by its signed challenge (gateway) or blob token (HTTP). */
  | { kind: 'provider'; providerId: string };

export const ANONYMOUS: Actor = { kind: 'anonymous' };

export function requireAccount(actor: Actor): string {
  if (actor.kind !== 'account') {
    throw new AppError(
      'UNAUTHENTICATED',
      'sign in: send "Authorization: Bearer <api key>" (create one with createAccount)',
    );
  }
  return actor.accountId;
}
