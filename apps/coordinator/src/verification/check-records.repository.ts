import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Capabilities } from '@tessera/protocol';
import { DataSource, EntityManager } from 'typeorm';

/** A provider as spot-checks see it: its record, owner and machine. */
export interface ProviderCheckRow {
  id: string;
  address: string;
  owner: string;
  capabilities: Capabilities;
  passed: number;
  failed: number;
  cleanStreak: number;
  banned: boolean;
}

/**
 * Providers as spot-checks see them: their check record (what the adaptive rate, reputation and
 * bans read), their owner, who could verify now, and who is kept off a job.
 */
@Injectable()
export class CheckRecordsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async provider(providerId: string): Promise<ProviderCheckRow | undefined> {
    const rows: ProviderCheckRow[] = await this.db.query(
      `SELECT id, address, COALESCE(owner, address) AS owner, capabilities, checks_passed AS passed,
              checks_failed AS failed, clean_streak AS "cleanStreak", banned_at IS NOT NULL AS banned
         FROM provider WHERE id = $1`,
      [providerId],
    );
    return rows[0];
  }

  /** Keeps the provider away from this job's tasks from now on. */
  async blockFromJob(tx: EntityManager, jobId: string, providerId: string, limit: number): Promise<void> {
    await tx.query(
      `INSERT INTO job_provider_failure (job_id, provider_id, failures, last_failure_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (job_id, provider_id) DO UPDATE
         SET failures = GREATEST(job_provider_failure.failures, $3), last_failure_at = now()`,
      [jobId, providerId, limit],
    );
  }

  /** One check of this provider's work passed or failed; a failure may ban it. Returns whether it is now banned. */
  async recordCheck(
    tx: EntityManager,
    providerId: string,
    passed: boolean,
    ban: { after: number; reason: string },
  ): Promise<{ bannedNow: boolean }> {
    if (passed) {
      await tx.query(
        `UPDATE provider SET checks_passed = checks_passed + 1, clean_streak = clean_streak + 1 WHERE id = $1`,
        [providerId],
      );
      return { bannedNow: false };
    }
    const [rows]: [{ bannedNow: boolean }[], number] = await tx.query(
      `UPDATE provider p SET checks_failed = p.checks_failed + 1, clean_streak = 0,
              banned_at = CASE WHEN p.banned_at IS NULL AND p.checks_failed + 1 >= $2 THEN now() ELSE p.banned_at END,
              ban_reason = CASE WHEN p.banned_at IS NULL AND p.checks_failed + 1 >= $2 THEN left($3, 500) ELSE p.ban_reason END
         FROM provider old WHERE p.id = $1 AND old.id = $1
       RETURNING (old.banned_at IS NULL AND p.banned_at IS NOT NULL) AS "bannedNow"`,
      [providerId, ban.after, ban.reason],
    );
    return { bannedNow: rows[0]?.bannedNow ?? false };
  }

  /**
   * Online providers that could verify work of `kind` excluding `exclude` (ids and owners): what
   * decides whether a check may go to the trusted pool at once.
   */
  async eligibleVerifiers(
    kind: string,
    exclude: string[],
    windowMs: number,
    trusted: string[],
  ): Promise<number> {
    const [row]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM provider
        WHERE connected_at IS NOT NULL AND last_seen_at > now() - $3 * interval '1 millisecond'
          AND banned_at IS NULL AND capabilities->'kinds' ? $1
          AND NOT (ARRAY[id::text, COALESCE(owner, address)] && $2::text[])
          AND NOT (address = ANY($4::text[]))`,
      [kind, exclude, windowMs, trusted],
    );
    return row.n;
  }
}
