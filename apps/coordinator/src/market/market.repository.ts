import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface KindThroughputRow {
  kind: string;
  tasksCompleted: number;
  itemsDone: number;
  averageTaskSeconds: number | null;
  /** From the first of those tasks' start (or the window's start) to the last one's result. */
  busySeconds: number | null;
}

/** One accepted task's charge: the price its job's escrow paid for it (base units) and its items. */
export interface TaskChargeRow {
  kind: string;
  items: number;
  price: bigint;
}

/** Reads over work the market finished (work tasks accepted since a moment) and what they were charged. */
@Injectable()
export class MarketRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Accepted work tasks since `since`, by kind (task_accepted_idx). */
  async throughput(since: Date): Promise<KindThroughputRow[]> {
    const rows: {
      kind: string;
      tasks: number;
      items: string;
      seconds: number | null;
      busy: number | null;
    }[] = await this.db.query(
      `SELECT t.kind, count(*)::int AS tasks, sum(t.items)::text AS items,
              avg(extract(epoch FROM a.finished_at - a.started_at))::float8 AS seconds,
              extract(epoch FROM max(a.finished_at) - min(greatest(a.started_at, $1)))::float8 AS busy
         FROM task t LEFT JOIN attempt a ON a.id = t.current_attempt_id
        WHERE t.role = 'work' AND t.state = 'ACCEPTED' AND t.finished_at >= $1
        GROUP BY t.kind ORDER BY t.kind`,
      [since],
    );
    return rows.map((r) => ({
      kind: r.kind,
      tasksCompleted: r.tasks,
      itemsDone: Number(r.items),
      averageTaskSeconds: r.seconds,
      busySeconds: r.busy,
    }));
  }

  /**
   * What the tasks accepted since `since` were charged, newest acceptance first, at most `limit` per
   * kind: each task's capture journal (keyed `capture:<task id>`) took its price from the escrow.
   */
  async charges(since: Date, limit: number): Promise<TaskChargeRow[]> {
    const rows: { kind: string; items: number; price: string }[] = await this.db.query(
      `SELECT kind, items, price FROM (
         SELECT t.kind, t.items, (-e.amount)::text AS price,
                row_number() OVER (PARTITION BY t.kind ORDER BY t.finished_at DESC, t.id) AS n
           FROM task t
           JOIN ledger_journal j ON j.idempotency_key = 'capture:' || t.id
           JOIN ledger_entry e ON e.journal_id = j.id
           JOIN ledger_account a ON a.id = e.account_id AND a.type = 'job_escrow'
          WHERE t.role = 'work' AND t.state = 'ACCEPTED' AND t.finished_at >= $1) x
        WHERE n <= $2 ORDER BY kind, n`,
      [since, limit],
    );
    return rows.map((r) => ({ kind: r.kind, items: r.items, price: BigInt(r.price) }));
  }

  /** Totals charged since `since` by kind (base units), over every charged task, not just the recent ones. */
  async volume(since: Date): Promise<{ kind: string; tasks: number; price: bigint }[]> {
    const rows: { kind: string; tasks: number; price: string }[] = await this.db.query(
      `SELECT t.kind, count(*)::int AS tasks, sum(-e.amount)::text AS price
         FROM task t
         JOIN ledger_journal j ON j.idempotency_key = 'capture:' || t.id
         JOIN ledger_entry e ON e.journal_id = j.id
         JOIN ledger_account a ON a.id = e.account_id AND a.type = 'job_escrow'
        WHERE t.role = 'work' AND t.state = 'ACCEPTED' AND t.finished_at >= $1
        GROUP BY t.kind`,
      [since],
    );
    return rows.map((r) => ({ kind: r.kind, tasks: r.tasks, price: BigInt(r.price) }));
  }
}
