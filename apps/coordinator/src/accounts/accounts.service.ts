import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '@tessera/crypto';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { BillingService } from '../billing/billing.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { AccountEntity } from './account.entity';
import { AccountsRepository } from './accounts.repository';

export const API_KEY_PREFIX = 'tsk_';

@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
    private readonly billing: BillingService,
  ) {}

  /** Opens an account and returns its API key; the key is never stored or shown again. */
  async createAccount(_actor: Actor, name: string): Promise<{ account: AccountEntity; apiKey: string }> {
    if (!this.config.auth.openSignup) {
      throw new AppError(
        'SIGNUP_CLOSED',
        'this coordinator does not accept new accounts; ask its operator for a key',
      );
    }
    const apiKey = API_KEY_PREFIX + randomBytes(24).toString('base64url');
    const account = await this.accounts.createWithKey(name.trim(), {
      prefix: apiKey.slice(0, 10),
      keyHash: sha256Hex(apiKey),
    });
    await this.billing.signupCredit(account.id);
    return { account, apiKey };
  }

  /** Resolves a bearer API key to its account; anything unknown or revoked is anonymous. */
  async actorForApiKey(apiKey: string): Promise<Actor | undefined> {
    if (!apiKey.startsWith(API_KEY_PREFIX) || apiKey.length > 100) return undefined;
    const accountId = await this.accounts.findAccountIdByKeyHash(sha256Hex(apiKey));
    return accountId ? { kind: 'account', accountId } : undefined;
  }

  async me(actor: Actor): Promise<AccountEntity> {
    const account = await this.accounts.findById(requireAccount(actor));
    if (!account) throw new AppError('UNAUTHENTICATED', 'the account behind this key no longer exists');
    return account;
  }
}
