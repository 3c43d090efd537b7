import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import type { NewApiKey } from './api-key-secret';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Creates the account and its first key in one transaction. */
  async createWithKey(name: string, key: NewApiKey): Promise<AccountEntity> {
    return this.db.transaction(async (tx) => {
      const account = await tx.getRepository(AccountEntity).save({ name, wallet: null });
      await tx
        .getRepository(ApiKeyEntity)
        .insert({ accountId: account.id, prefix: key.prefix, keyHash: key.keyHash });
      return account;
    });
  }

  findById(id: string): Promise<AccountEntity | null> {
    return this.db.getRepository(AccountEntity).findOneBy({ id });
  }

  /**
   * Links the wallet to an account that has none: the account, or why not (the unique index
   * decides between two accounts linking one wallet at once).
   */
  async linkWallet(accountId: string, wallet: string): Promise<AccountEntity | 'taken' | 'has_wallet'> {
    try {
      const result = await this.db
        .createQueryBuilder()
        .update(AccountEntity)
        .set({ wallet })
        .where('id = :accountId AND wallet IS NULL', { accountId })
        .execute();
      if (result.affected !== 1) return 'has_wallet';
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return 'taken';
      throw error;
    }
    return this.db.getRepository(AccountEntity).findOneByOrFail({ id: accountId });
  }

  findByWallet(wallet: string): Promise<AccountEntity | null> {
    return this.db.getRepository(AccountEntity).findOneBy({ wallet });
  }

  /**
   * The account linked to the wallet, opened now if there is none. Two first sign-ins of one wallet
   * at once open one account between them (the unique index decides; the loser reads the winner's).
   */
  async findOrCreateForWallet(
    wallet: string,
    name: string,
  ): Promise<{ account: AccountEntity; created: boolean }> {
    const inserted = await this.db
      .createQueryBuilder()
      .insert()
      .into(AccountEntity)
      .values({ name, wallet })
      .orIgnore()
      .returning('id')
      .execute();
    const account = await this.db.getRepository(AccountEntity).findOneByOrFail({ wallet });
    return { account, created: (inserted.raw as unknown[]).length === 1 };
  }
}
