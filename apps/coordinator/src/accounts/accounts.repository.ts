import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import type { NewApiKey } from './api-key-secret';

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
