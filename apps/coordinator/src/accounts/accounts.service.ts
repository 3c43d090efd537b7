import { Inject, Injectable } from '@nestjs/common';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { BillingService } from '../billing/billing.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { AccountEntity } from './account.entity';
import { AccountsRepository } from './accounts.repository';
import { generateApiKey, hashApiKey } from './api-key-secret';
import { ApiKeysRepository } from './api-keys.repository';

export { API_KEY_PREFIX } from './api-key-secret';

@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeysRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly billing: BillingService,
  ) {}

  /** Opens an account and returns its API key; the key is never stored or shown again. */
  async createAccount(_actor: Actor, name: string): Promise<{ account: AccountEntity; apiKey: string }> {
    this.requireOpenSignup();
    const key = generateApiKey();
    const account = await this.accounts.createWithKey(name.trim(), key);
    await this.billing.signupCredit(account.id);
    return { account, apiKey: key.secret };
  }

  /**
   * Resolves a bearer API key to its account and key; anything unknown or revoked is anonymous.
   * Looked up on every request, so a revoked key stops working at once.
   */
  async actorForApiKey(apiKey: string): Promise<Actor | undefined> {
    const keyHash = hashApiKey(apiKey);
    if (!keyHash) return undefined;
    const key = await this.keys.findLiveByHash(keyHash);
    if (!key) return undefined;
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() >= 60_000) await this.keys.touch(key.id);
    return { kind: 'account', accountId: key.accountId, apiKeyId: key.id };
  }

  async me(actor: Actor): Promise<AccountEntity> {
    const account = await this.accounts.findById(requireAccount(actor));
    if (!account) throw new AppError('UNAUTHENTICATED', 'the account behind this key no longer exists');
    return account;
  }

  requireOpenSignup(): void {
    if (!this.config.auth.openSignup) {
      throw new AppError(
        'SIGNUP_CLOSED',
        'this coordinator does not accept new accounts; ask its operator for a key',
      );
    }
  }
}
