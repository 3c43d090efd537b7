import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { BlobEntity } from './blob.entity';

@Injectable()
export class BlobsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a stored blob and, when an account uploaded it, that account's right to read it. */
  async recordUpload(sha256: string, size: number, accountId?: string): Promise<void> {
    await this.db.query(`INSERT INTO blob (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`, [
      sha256,
      size,
    ]);
    if (accountId) await this.grant([sha256], accountId);
  }

  async grant(sha256s: string[], accountId: string): Promise<void> {
    await this.grantIn(this.db.manager, sha256s, accountId);
  }

  /** Grants inside the caller's transaction (outputs become the customer's as the task is accepted). */
  async grantIn(tx: EntityManager, sha256s: string[], accountId: string): Promise<void> {
    if (sha256s.length === 0) return;
    await tx.query(
      `INSERT INTO blob_grant (sha256, account_id) SELECT unnest($1::char(64)[]), $2 ON CONFLICT DO NOTHING`,
      [sha256s, accountId],
    );
  }

  findOne(sha256: string): Promise<BlobEntity | null> {
    return this.db.getRepository(BlobEntity).findOneBy({ sha256 });
  }

  /** The blob if this account may read it. */
  async findGranted(sha256: string, accountId: string): Promise<BlobEntity | undefined> {
    const rows: { size: string }[] = await this.db.query(
      `SELECT b.size FROM blob b JOIN blob_grant g ON g.sha256 = b.sha256 WHERE b.sha256 = $1 AND g.account_id = $2`,
      [sha256, accountId],
    );
    return rows[0] ? Object.assign(new BlobEntity(), { sha256, size: Number(rows[0].size) }) : undefined;
  }

  /** Of `sha256s`, those this account may read (uploaded by it, or outputs of its jobs). */
  async grantedAmong(sha256s: readonly string[], accountId: string): Promise<Set<string>> {
    if (sha256s.length === 0) return new Set();
    const rows: { sha256: string }[] = await this.db.query(
      `SELECT b.sha256 FROM blob b JOIN blob_grant g ON g.sha256 = b.sha256
        WHERE b.sha256 = ANY($1::char(64)[]) AND g.account_id = $2`,
      [sha256s, accountId],
    );
    return new Set(rows.map((r) => r.sha256.trim()));
  }

  /** Whether the provider holds a live lease on a task that reads this blob. */
  async isInputOfLiveLease(sha256: string, providerId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM attempt a JOIN task t ON t.id = a.task_id
        WHERE a.provider_id = $1 AND a.state IN ('LEASED', 'RUNNING')
          AND t.inputs @> jsonb_build_array(jsonb_build_object('sha256', $2::text))
        LIMIT 1`,
      [providerId, sha256],
    );
    return rows.length > 0;
  }

  async providerHasLiveLease(providerId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM attempt WHERE provider_id = $1 AND state IN ('LEASED', 'RUNNING') LIMIT 1`,
      [providerId],
    );
    return rows.length > 0;
  }

  /** Of the given digests, those that are stored. */
  async existing(sha256s: string[]): Promise<Map<string, number>> {
    if (sha256s.length === 0) return new Map();
    const rows: { sha256: string; size: string }[] = await this.db.query(
      `SELECT sha256, size FROM blob WHERE sha256 = ANY($1::char(64)[])`,
      [sha256s],
    );
    return new Map(rows.map((r) => [r.sha256, Number(r.size)]));
  }
}
