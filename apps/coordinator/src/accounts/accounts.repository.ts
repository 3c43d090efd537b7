import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Creates the account and its first key in one transaction. */
  async createWithKey(name: string, key: { prefix: string; keyHash: string }): Promise<AccountEntity> {
    return this.db.transaction(async (tx) => {
      const account = await tx.getRepository(AccountEntity).save({ name });
      await tx
        .getRepository(ApiKeyEntity)
        .insert({ accountId: account.id, prefix: key.prefix, keyHash: key.keyHash });
      return account;
    });
  }

  async findAccountIdByKeyHash(keyHash: string): Promise<string | undefined> {
    const row = await this.db
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .select('k.accountId', 'accountId')
      .where('k.keyHash = :keyHash AND k.revokedAt IS NULL', { keyHash })
      .getRawOne<{ accountId: string }>();
    return row?.accountId;
  }

  findById(id: string): Promise<AccountEntity | null> {
    return this.db.getRepository(AccountEntity).findOneBy({ id });
  }
}
