import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Capabilities } from '@tessera/protocol';
import { DataSource, In } from 'typeorm';
import { ProviderEntity } from './provider.entity';

/** One lease of a task by a provider, with what the public may know of the task. */
export interface ProviderTaskRow {
  id: string;
  taskId: string;
  providerId: string;
  kind: string;
  role: string;
  /** The attempt's state, or its outcome once the task decided it (see ProviderTaskDto.state). */
  state: string;
  /** The task's parameters: read for which items it covers, never passed on. */
  params: Record<string, unknown>;
  items: number;
  leasedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  failureCode: string | null;
}

const PROVIDER_TASK_COLUMNS = `a.id, a.task_id AS "taskId", a.provider_id AS "providerId", t.kind, t.role,
  CASE WHEN a.state = 'SUCCEEDED' AND t.current_attempt_id = a.id AND t.state IN ('ACCEPTED', 'VERIFYING')
       THEN t.state ELSE a.state END AS state,
  t.params, t.items, a.leased_at AS "leasedAt", a.started_at AS "startedAt", a.finished_at AS "finishedAt",
  a.failure_code AS "failureCode"`;

export interface ProviderStats {
  providerId: string;
  succeeded: number;
  failed: number;
  expired: number;
}

@Injectable()
export class ProvidersRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Registers a provider on its first authenticated connection, or refreshes it on later ones. */
  async upsertConnected(
    address: string,
    name: string | null,
    capabilities: Capabilities,
    agentVersion: string,
    owner: string | null = null,
  ): Promise<ProviderEntity> {
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO provider (address, name, capabilities, agent_version, last_seen_at, connected_at, owner)
       VALUES ($1, $2, $3, $4, now(), now(), $5)
       ON CONFLICT (address) DO UPDATE SET name = COALESCE(EXCLUDED.name, provider.name), capabilities = EXCLUDED.capabilities,
         agent_version = EXCLUDED.agent_version, last_seen_at = now(), connected_at = now(), owner = EXCLUDED.owner
       RETURNING id`,
      [address, name, JSON.stringify(capabilities), agentVersion, owner === address ? null : owner],
    );
    return (await this.db.getRepository(ProviderEntity).findOneBy({ id: rows[0].id })) as ProviderEntity;
  }

  async updateCapabilities(id: string, capabilities: Capabilities): Promise<void> {
    await this.db.query(`UPDATE provider SET capabilities = $2, last_seen_at = now() WHERE id = $1`, [
      id,
      JSON.stringify(capabilities),
    ]);
  }

  async touch(id: string): Promise<void> {
    await this.db.query(`UPDATE provider SET last_seen_at = now() WHERE id = $1`, [id]);
  }

  async markDisconnected(id: string, connectedAt: Date | undefined): Promise<void> {
    // connected_at has microseconds, the JS Date the caller holds only milliseconds: compare at
    // millisecond precision, or the socket's own mark would look newer than itself and never clear.
    await this.db.query(
      `UPDATE provider SET connected_at = NULL, last_seen_at = now()
        WHERE id = $1 AND ($2::timestamptz IS NULL OR date_trunc('milliseconds', connected_at) <= $2)`,
      [id, connectedAt ?? null],
    );
  }

  /** Providers connected, heard from within `windowMs`, and running `kind`. */
  async countOnline(kind: string, windowMs: number): Promise<number> {
    const [row] = await this.db.query(
      `SELECT count(*)::int AS n FROM provider
        WHERE connected_at IS NOT NULL AND last_seen_at > now() - $2 * interval '1 millisecond'
          AND banned_at IS NULL AND capabilities->'kinds' ? $1`,
      [kind, windowMs],
    );
    return (row as { n: number }).n;
  }

  findById(id: string): Promise<ProviderEntity | null> {
    return this.db.getRepository(ProviderEntity).findOneBy({ id });
  }

  findByAddress(address: string): Promise<ProviderEntity | null> {
    return this.db.getRepository(ProviderEntity).findOneBy({ address });
  }

  findByIds(ids: readonly string[]): Promise<ProviderEntity[]> {
    return this.db.getRepository(ProviderEntity).findBy({ id: In([...ids]) });
  }

  list(opts: { onlineSinceMs?: number; limit: number }): Promise<ProviderEntity[]> {
    const qb = this.db
      .getRepository(ProviderEntity)
      .createQueryBuilder('p')
      .orderBy('p.lastSeenAt', 'DESC')
      .limit(opts.limit);
    if (opts.onlineSinceMs !== undefined) {
      qb.where('p.connectedAt IS NOT NULL AND p.lastSeenAt > :since', {
        since: new Date(Date.now() - opts.onlineSinceMs),
      });
    }
    return qb.getMany();
  }

  async stats(ids: readonly string[]): Promise<ProviderStats[]> {
    if (ids.length === 0) return [];
    const rows: { providerId: string; succeeded: string; failed: string; expired: string }[] =
      await this.db.query(
        `SELECT provider_id AS "providerId",
              count(*) FILTER (WHERE state = 'SUCCEEDED') AS succeeded,
              count(*) FILTER (WHERE state = 'FAILED') AS failed,
              count(*) FILTER (WHERE state = 'EXPIRED') AS expired
         FROM attempt WHERE provider_id = ANY($1::uuid[]) GROUP BY provider_id`,
        [ids],
      );
    return rows.map((r) => ({
      providerId: r.providerId,
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      expired: Number(r.expired),
    }));
  }

  /** The tasks `ids` hold now (leased or running), oldest lease first. */
  async currentTasks(ids: readonly string[]): Promise<ProviderTaskRow[]> {
    if (ids.length === 0) return [];
    return this.db.query(
      `SELECT ${PROVIDER_TASK_COLUMNS}
         FROM attempt a JOIN task t ON t.id = a.task_id
        WHERE a.provider_id = ANY($1::uuid[]) AND a.state IN ('LEASED', 'RUNNING')
        ORDER BY a.leased_at, a.id`,
      [ids],
    );
  }

  /** The last `limit` attempts of each of `ids` that have ended, newest lease first (attempt_provider_idx). */
  async recentAttempts(ids: readonly string[], limit: number): Promise<ProviderTaskRow[]> {
    if (ids.length === 0) return [];
    return this.db.query(
      `SELECT x.* FROM unnest($1::uuid[]) AS p(id) CROSS JOIN LATERAL (
         SELECT ${PROVIDER_TASK_COLUMNS}
           FROM attempt a JOIN task t ON t.id = a.task_id
          WHERE a.provider_id = p.id AND a.state NOT IN ('LEASED', 'RUNNING')
          ORDER BY a.leased_at DESC, a.id DESC LIMIT $2) x`,
      [ids, limit],
    );
  }
}
