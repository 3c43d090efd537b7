import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, Not } from 'typeorm';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import type { NewApiKey } from './api-key-secret';

/** How often a key's last use is written at most: reads stay reads for busy scripts. */
const LAST_USED_RESOLUTION = '1 minute';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every key of the account, revoked ones included, newest first. */
  listOfAccount(accountId: string): Promise<ApiKeyEntity[]> {
    return this.db
      .getRepository(ApiKeyEntity)
      .find({ where: { accountId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** The live key with this hash. */
  findLiveByHash(keyHash: string): Promise<Pick<ApiKeyEntity, 'id' | 'accountId' | 'lastUsedAt'> | null> {
    return this.db.getRepository(ApiKeyEntity).findOne({
      select: { id: true, accountId: true, lastUsedAt: true },
      where: { keyHash, revokedAt: IsNull() },
    });
  }

  /** Records a use of the key, unless one was recorded within the last minute. */
  async touch(id: string): Promise<void> {
    await this.db.query(
      `UPDATE "api_key" SET "last_used_at" = now()
        WHERE "id" = $1 AND ("last_used_at" IS NULL OR "last_used_at" < now() - interval '${LAST_USED_RESOLUTION}')`,
      [id],
    );
  }

  /**
   * Adds a key to the account, with no limit (wallet sign-in: a wallet must always get in);
   * `session` marks a key a sign-in hands out, which signing out revokes.
   */
  insert(
    accountId: string,
    key: NewApiKey,
    label: string,
    tx: EntityManager = this.db.manager,
    session = false,
  ): Promise<ApiKeyEntity> {
    return tx.getRepository(ApiKeyEntity).save({
      accountId,
      prefix: key.prefix,
      keyHash: key.keyHash,
      label,
      revokedAt: null,
      lastUsedAt: null,
      session,
    });
  }

  /** The live key `id` of the account, if it is a session key; null otherwise. */
  findLiveSession(accountId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.db
      .getRepository(ApiKeyEntity)
      .findOneBy({ id, accountId, session: true, revokedAt: IsNull() });
  }

  /**
   * Adds a key unless the account already has `maxLive` live keys. The account row is locked so
   * that concurrent creations cannot both slip under the limit.
   */
  async insertWithin(
    accountId: string,
    key: NewApiKey,
    label: string,
    maxLive: number,
  ): Promise<{ key: ApiKeyEntity } | { live: number }> {
    return this.db.transaction(async (tx) => {
      await this.lockAccount(tx, accountId);
      const live = await tx.getRepository(ApiKeyEntity).countBy({ accountId, revokedAt: IsNull() });
      if (live >= maxLive) return { live };
      return { key: await this.insert(accountId, key, label, tx) };
    });
  }

  /**
   * Revokes one of the account's keys unless it is the last live one of an account without a
   * wallet (a wallet signs in again; nothing else could). A key of another account is `not_found`,
   * as if it did not exist; a key revoked before is returned as it is.
   */
  async revokeUnlessLast(
    accountId: string,
    id: string,
  ): Promise<{ key: ApiKeyEntity } | { refused: 'not_found' | 'last' }> {
    return this.db.transaction(async (tx) => {
      // The same lock as insertWithin: two revocations at once cannot leave the account keyless.
      await this.lockAccount(tx, accountId);
      const keys = tx.getRepository(ApiKeyEntity);
      const key = await keys.findOneBy({ id, accountId });
      if (!key) return { refused: 'not_found' };
      if (key.revokedAt) return { key };
      const hasWallet = await tx
        .getRepository(AccountEntity)
        .exists({ where: { id: accountId, wallet: Not(IsNull()) } });
      if (!hasWallet && (await keys.countBy({ accountId, revokedAt: IsNull() })) <= 1) {
        return { refused: 'last' };
      }
      key.revokedAt = new Date();
      await keys.update({ id }, { revokedAt: key.revokedAt });
      return { key };
    });
  }

  private async lockAccount(tx: EntityManager, accountId: string): Promise<void> {
    await tx
      .getRepository(AccountEntity)
      .createQueryBuilder('a')
      .select('a.id')
      .where('a.id = :accountId', { accountId })
      .setLock('pessimistic_write')
      .getRawOne();
  }
}
