import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WalletChallengeEntity } from './wallet-challenge.entity';

/**
 * How long a challenge is kept after it expired: long enough that a late replay is told "expired"
 * or "used" rather than "unknown", short enough that the table stays small.
 */
const KEEP_AFTER_EXPIRY = '1 hour';

@Injectable()
export class WalletChallengesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores a new challenge, clearing out those long expired (anyone may ask for challenges). */
  async insert(challenge: Omit<WalletChallengeEntity, 'usedAt'>): Promise<void> {
    await this.db.query(
      `DELETE FROM "wallet_challenge" WHERE "expires_at" < now() - interval '${KEEP_AFTER_EXPIRY}'`,
    );
    await this.db.getRepository(WalletChallengeEntity).insert({ ...challenge, usedAt: null });
  }

  findByNonce(nonce: string): Promise<WalletChallengeEntity | null> {
    return this.db.getRepository(WalletChallengeEntity).findOneBy({ nonce });
  }

  /** Marks the challenge used; false when it already was (the guard that refuses replays). */
  async consume(nonce: string, now: Date): Promise<boolean> {
    const result = await this.db
      .createQueryBuilder()
      .update(WalletChallengeEntity)
      .set({ usedAt: now })
      .where('nonce = :nonce AND used_at IS NULL', { nonce })
      .execute();
    return result.affected === 1;
  }
}
