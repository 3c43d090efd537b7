import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A job's price as it was fixed at submission, and its progress unit total. */
export interface JobPrice {
  jobId: string;
  accountId: string;
  state: string;
  kind: string;
  /** The plugin's estimate at the market price when submitted, in tokens (absent: the kind is not priced). */
  estimatedCost: number | null;
  itemsTotal: number;
  tasksTotal: number;
}

/** Reads the billing side needs from jobs and tasks, and finds work the sweeper must settle. */
@Injectable()
export class BillingRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async jobPrice(jobId: string): Promise<JobPrice | undefined> {
    const rows: (Omit<JobPrice, 'estimatedCost'> & { estimatedCost: string | number | null })[] =
      await this.db.query(
        `SELECT id AS "jobId", account_id AS "accountId", state, kind, params->'estimatedCost' AS "estimatedCost",
                items_total AS "itemsTotal", tasks_total AS "tasksTotal"
           FROM job WHERE id = $1`,
        [jobId],
      );
    const r = rows[0];
    if (!r) return undefined;
    const cost = r.estimatedCost === null ? null : Number(r.estimatedCost);
    return { ...r, estimatedCost: cost !== null && Number.isFinite(cost) ? cost : null };
  }

  /** A task's progress weight (frames, rows), whatever its state. */
  async taskItems(taskId: string): Promise<number | undefined> {
    const rows: { items: number }[] = await this.db.query(`SELECT items FROM task WHERE id = $1`, [taskId]);
    return rows[0]?.items;
  }

  /** A work task's progress weight (frames, rows) and the provider of its accepted attempt. */
  async acceptedTask(taskId: string): Promise<{ items: number; providerId: string } | undefined> {
    const rows: { items: number; providerId: string }[] = await this.db.query(
      `SELECT t.items, a.provider_id AS "providerId"
         FROM task t JOIN attempt a ON a.id = t.current_attempt_id
        WHERE t.id = $1 AND t.role = 'work' AND t.state = 'ACCEPTED'`,
      [taskId],
    );
    return rows[0];
  }

  /** Accepted work tasks of `jobId` (or of any priced job when null) that were never charged. */
  async uncaptured(jobId: string | null, limit: number): Promise<{ jobId: string; taskId: string }[]> {
    return this.db.query(
      `SELECT t.job_id AS "jobId", t.id AS "taskId"
         FROM task t JOIN job j ON j.id = t.job_id
        WHERE ($1::uuid IS NULL OR t.job_id = $1) AND t.role = 'work' AND t.state = 'ACCEPTED'
          AND j.params ? 'estimatedCost'
          AND EXISTS (SELECT 1 FROM ledger_journal r WHERE r.idempotency_key = 'reserve:' || j.id)
          AND NOT EXISTS (SELECT 1 FROM ledger_journal c WHERE c.idempotency_key = 'capture:' || t.id)
        LIMIT $2`,
      [jobId, limit],
    );
  }

  /** Jobs that ended with money still in escrow and no refund yet. */
  async unrefunded(limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT j.id FROM job j
         JOIN ledger_account e ON e.name = 'job:' || j.id || ':escrow'
        WHERE j.state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.balance > 0
          AND NOT EXISTS (SELECT 1 FROM ledger_journal r WHERE r.idempotency_key = 'refund:' || j.id)
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /** What a job has cost so far, from its journals (base units). */
  async jobMoney(jobId: string): Promise<{ reserved: bigint; charged: bigint; refunded: bigint }> {
    const rows: { kind: string; amount: string }[] = await this.db.query(
      `SELECT j.kind, COALESCE(sum(e.amount) FILTER (WHERE a.type = 'job_escrow'), 0)::text AS amount
         FROM ledger_journal j JOIN ledger_entry e ON e.journal_id = j.id JOIN ledger_account a ON a.id = e.account_id
        WHERE j.job_id = $1 AND j.kind IN ('escrow_reserve', 'task_capture', 'escrow_refund')
        GROUP BY j.kind`,
      [jobId],
    );
    const of = (kind: string) => BigInt(rows.find((r) => r.kind === kind)?.amount ?? '0');
    return { reserved: of('escrow_reserve'), charged: -of('task_capture'), refunded: -of('escrow_refund') };
  }
}
