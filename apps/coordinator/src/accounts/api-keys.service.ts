import { Inject, Injectable } from '@nestjs/common';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { ApiKeyEntity } from './api-key.entity';
import { generateApiKey } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto } from './dtos/api-key.dto';

/** Live keys one account may hold through createApiKey; wallet sign-ins are not held to it. */
export const MAX_LIVE_API_KEYS = 20;
export const MAX_LABEL_LENGTH = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A customer's own API keys: list, make, revoke. Every call is limited to the caller's account. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    @Inject(EVENT_BUS) private readonly events: EventBus,
  ) {}

  async list(actor: Actor): Promise<ApiKeyDto[]> {
    const accountId = requireAccount(actor);
    return (await this.keys.listOfAccount(accountId)).map((k) => toDto(k, actor));
  }

  /** Makes a key; its secret is returned now and never again. */
  async create(actor: Actor, label: string): Promise<{ key: ApiKeyDto; apiKey: string }> {
    const accountId = requireAccount(actor);
    const name = validLabel(label);
    const secret = generateApiKey();
    const result = await this.keys.insertWithin(accountId, secret, name, MAX_LIVE_API_KEYS);
    if ('live' in result) {
      throw new AppError(
        'TOO_MANY_API_KEYS',
        `this account already has ${result.live} live API keys, the most it may hold (${MAX_LIVE_API_KEYS}); revoke one you no longer use first`,
      );
    }
    return { key: toDto(result.key, actor), apiKey: secret.secret };
  }

  /**
   * Ends the caller's sign-in session: revokes the key making the request if a sign-in handed it
   * out (true), and keeps a key the customer made (false), since scripts may use it too.
   */
  async signOut(actor: Actor): Promise<boolean> {
    const accountId = requireAccount(actor);
    if (actor.kind !== 'account' || !actor.apiKeyId) return false;
    const session = await this.keys.findLiveSession(accountId, actor.apiKeyId);
    if (!session) return false;
    const result = await this.keys.revokeUnlessLast(accountId, session.id);
    if ('refused' in result) return false;
    this.events.publish({ type: 'apikey.revoked', accountId, apiKeyId: session.id });
    return true;
  }

  /**
   * Revokes one of the caller's keys: it stops authenticating with the next request. The key in
   * use may be revoked (that signs this session out), but not the last live key of an account
   * without a wallet (it could not sign in again).
   */
  async revoke(actor: Actor, id: string): Promise<ApiKeyDto> {
    const accountId = requireAccount(actor);
    const result = UUID.test(id)
      ? await this.keys.revokeUnlessLast(accountId, id)
      : ({ refused: 'not_found' } as const);
    if ('refused' in result) {
      if (result.refused === 'last') {
        throw new AppError(
          'LAST_API_KEY',
          'this is the last live API key of the account, which has no wallet to sign in with; make another key first, or you could not sign in again',
        );
      }
      throw new AppError('API_KEY_NOT_FOUND', `no API key ${id} in your account`, 'id');
    }
    // Requests look the key up each time; live subscriptions opened with it end too, on any replica.
    this.events.publish({ type: 'apikey.revoked', accountId, apiKeyId: result.key.id });
    return toDto(result.key, actor);
  }
}

/** A label, trimmed: 1–100 characters. */
export function validLabel(label: string): string {
  const trimmed = label.trim();
  if (!trimmed) throw new AppError('BAD_INPUT', 'give the key a label, e.g. "laptop" or "CI"', 'label');
  if (trimmed.length > MAX_LABEL_LENGTH) {
    throw new AppError(
      'BAD_INPUT',
      `the label is ${trimmed.length} characters; at most ${MAX_LABEL_LENGTH}`,
      'label',
    );
  }
  return trimmed;
}

function toDto(key: ApiKeyEntity, actor: Actor): ApiKeyDto {
  return {
    id: key.id,
    label: key.label,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
    current: actor.kind === 'account' && actor.apiKeyId === key.id,
    session: key.session,
  };
}
