import { MigrationInterface, QueryRunner } from 'typeorm';
import { BlobAffinity1764400000000 } from './1764400000000-blob-affinity';

/**
 * Spot-check verification (verification/, DESIGN.md §5):
 * - `verification`: one per checked attempt: the samples drawn after the commitment, the proof
 *   deadline, the rounds of re-execution and the outcome;
 * - check tasks live in `task` with `role = 'check'` in the job they verify (the unique task number
 *   becomes unique among work tasks only: a check takes the number of the task it checks), name
 *   the providers and owners that may not lease them (`exclude`), and may go to the trusted verifier
 *   pool from `pool_after`;
 * - providers get an owner (the wallet paid for the machine; machines of one owner never check each
 *   other) and a check record (passed, failed, clean streak) the adaptive rate and reputation read;
 * - attempts whose result a check rejected end REJECTED.
 *
 * The claim gains `p_owner` and `p_trusted`: a task whose `exclude` names the claiming provider or
 * its owner is skipped (an empty array overlaps nothing, so work tasks are unaffected), and a trusted
 * verifier (configured pool) takes only check tasks whose `pool_after` has passed. Everything
 * BlobAffinity1764400000000 says about the plan still holds; the new conditions only filter rows
 * the same index walks already visit.
 */
export class Verification1764600000000 implements MigrationInterface {
  name = 'Verification1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `CREATE TABLE "verification" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job_id" uuid NOT NULL, "task_id" uuid NOT NULL, "attempt_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "state" character varying(16) NOT NULL, "samples" jsonb NOT NULL, "rounds" jsonb NOT NULL DEFAULT '[]', "reason" character varying(2000), "proof_deadline" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "verification_state_ck" CHECK ("state" IN ('PROVING','CHECKING','PASSED','FAILED','UNRESOLVED','CANCELLED')), CONSTRAINT "PK_f7e3a90ca384e71d6e2e93bb340" PRIMARY KEY ("id"))`,
      `CREATE INDEX "verification_provider_idx" ON "verification"  ("provider_id", "created_at") `,
      `CREATE INDEX "verification_task_idx" ON "verification"  ("task_id") `,
      `CREATE UNIQUE INDEX "verification_attempt_uq" ON "verification"  ("attempt_id") `,
      // The proof sweep and reconnects look up verifications still waiting for a proof.
      `CREATE INDEX "verification_proving_idx" ON "verification" ("proof_deadline") WHERE "state" = 'PROVING'`,
      `ALTER TABLE "provider" ADD "owner" character varying(44)`,
      `ALTER TABLE "provider" ADD "checks_passed" integer NOT NULL DEFAULT '0'`,
      `ALTER TABLE "provider" ADD "checks_failed" integer NOT NULL DEFAULT '0'`,
      `ALTER TABLE "provider" ADD "clean_streak" integer NOT NULL DEFAULT '0'`,
      `ALTER TABLE "task" ADD "role" character varying(8) NOT NULL DEFAULT 'work'`,
      `ALTER TABLE "task" ADD "verification_id" uuid`,
      `ALTER TABLE "task" ADD "exclude" text array NOT NULL DEFAULT '{}'`,
      `ALTER TABLE "task" ADD "pool_after" TIMESTAMP WITH TIME ZONE`,
      `ALTER TABLE "task" ADD CONSTRAINT "task_role_ck" CHECK ("role" IN ('work','check'))`,
      `DROP INDEX "task_job_index_uq"`,
      `CREATE UNIQUE INDEX "task_job_index_uq" ON "task" ("job_id", "index") WHERE "role" = 'work'`,
      `ALTER TABLE "attempt" DROP CONSTRAINT "attempt_state_ck"`,
      `ALTER TABLE "attempt" ADD CONSTRAINT "attempt_state_ck" CHECK ("state" IN ('LEASED','RUNNING','SUCCEEDED','FAILED','EXPIRED','CANCELLED','REJECTED'))`,
      `ALTER TABLE "verification" ADD CONSTRAINT "FK_7c1352db04cb6db3dd43344f801" FOREIGN KEY ("job_id") REFERENCES "job"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "verification" ADD CONSTRAINT "FK_153dd659d569dda33ba9f28650b" FOREIGN KEY ("task_id") REFERENCES "task"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      `ALTER TABLE "verification" ADD CONSTRAINT "FK_b9e3ff5c07bd5b225a12186b156" FOREIGN KEY ("provider_id") REFERENCES "provider"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
      `DROP FUNCTION tessera_claim_task(uuid, text[], real, bigint, int, bigint, text[], text[], int, int)`,
      claimFunction,
    ]) {
      await queryRunner.query(sql);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of [
      `DROP FUNCTION tessera_claim_task(uuid, text, boolean, text[], real, bigint, int, bigint, text[], text[], int, int)`,
      `ALTER TABLE "verification" DROP CONSTRAINT "FK_b9e3ff5c07bd5b225a12186b156"`,
      `ALTER TABLE "verification" DROP CONSTRAINT "FK_153dd659d569dda33ba9f28650b"`,
      `ALTER TABLE "verification" DROP CONSTRAINT "FK_7c1352db04cb6db3dd43344f801"`,
      `DELETE FROM "attempt" WHERE "state" = 'REJECTED'`,
      `ALTER TABLE "attempt" DROP CONSTRAINT "attempt_state_ck"`,
      `ALTER TABLE "attempt" ADD CONSTRAINT "attempt_state_ck" CHECK ("state" IN ('LEASED','RUNNING','SUCCEEDED','FAILED','EXPIRED','CANCELLED'))`,
      `DELETE FROM "task" WHERE "role" = 'check'`,
      `DROP INDEX "task_job_index_uq"`,
      `CREATE UNIQUE INDEX "task_job_index_uq" ON "task" ("job_id", "index")`,
      `ALTER TABLE "task" DROP CONSTRAINT "task_role_ck"`,
      `ALTER TABLE "task" DROP COLUMN "pool_after"`,
      `ALTER TABLE "task" DROP COLUMN "exclude"`,
      `ALTER TABLE "task" DROP COLUMN "verification_id"`,
      `ALTER TABLE "task" DROP COLUMN "role"`,
      `ALTER TABLE "provider" DROP COLUMN "clean_streak"`,
      `ALTER TABLE "provider" DROP COLUMN "checks_failed"`,
      `ALTER TABLE "provider" DROP COLUMN "checks_passed"`,
      `ALTER TABLE "provider" DROP COLUMN "owner"`,
      `DROP TABLE "verification"`,
    ]) {
      await queryRunner.query(sql);
    }
    // The claim as it was before this migration: BlobAffinity1764400000000's CREATE FUNCTION, run
    // alone (its other statements, the cache_key column and index and dropping the claim before
    // it, do not apply here).
    const onlyTheFunction = {
      query: (sql: string) =>
        sql.trimStart().startsWith('CREATE FUNCTION') ? queryRunner.query(sql) : Promise.resolve(),
    } as unknown as QueryRunner;
    await new BlobAffinity1764400000000().up(onlyTheFunction);
  }
}

/**
 * The conditions every branch of the claim applies to a candidate task: it fits the machine, the
 * provider has not failed this job too often, it does not exclude this provider or its owner, and
 * a trusted verifier only takes check tasks past their `pool_after`.
 */
const FITS = `t.kind = ANY(p_kinds)
               AND t.req_cpus <= p_cpus AND t.req_memory_bytes <= p_memory AND t.req_gpus <= p_gpus
               AND (t.req_gpus = 0 OR t.req_vram_bytes <= p_vram)
               AND NOT (t.exclude && ARRAY[p_provider::text, p_owner])
               AND (NOT p_trusted OR (t.role = 'check' AND t.pool_after <= now()))
               AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                                WHERE f.job_id = t.job_id AND f.provider_id = p_provider AND f.failures >= p_failure_limit)`;

const claimFunction = `
      CREATE FUNCTION tessera_claim_task(
        p_provider uuid, p_owner text, p_trusted boolean, p_kinds text[], p_cpus real, p_memory bigint,
        p_gpus int, p_vram bigint, p_images text[], p_blobs text[], p_failure_limit int, p_lease_ms int)
      RETURNS TABLE (task_id uuid, job_id uuid, account_id uuid, task_index int, kind varchar, params jsonb,
                     image varchar, req_cpus real, req_memory_bytes bigint, req_gpus int, req_vram_bytes bigint,
                     timeout_sec int, inputs jsonb, attempt_id uuid, lease_expires_at timestamptz)
      LANGUAGE plpgsql
      SET enable_sort = off
      SET enable_bitmapscan = off
      SET jit = off
      AS $fn$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        WITH by_blob AS (
          -- See BlobAffinity1764400000000 for why the key is matched with >= and <= and leads the order.
          SELECT c.id FROM unnest(p_blobs) AS blob(sha256)
          CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.queued_at FROM task t
             WHERE t.state = 'QUEUED' AND t.cache_key >= blob.sha256 AND t.cache_key <= blob.sha256
               AND ${FITS}
             ORDER BY t.cache_key, t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
          ORDER BY c.priority DESC, c.queued_at LIMIT 1
        ), by_image AS (
          SELECT c.id FROM unnest(p_images) AS img(name)
          CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.queued_at FROM task t
             WHERE t.state = 'QUEUED' AND t.image >= img.name AND t.image <= img.name
               AND ${FITS}
             ORDER BY t.image, t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
          ORDER BY c.priority DESC, c.queued_at LIMIT 1
        ), picked AS (
          SELECT id FROM by_blob
          UNION ALL
          SELECT id FROM by_image
          UNION ALL
          SELECT id FROM (
            SELECT t.id FROM task t
             WHERE t.state = 'QUEUED' AND ${FITS}
             ORDER BY t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) any_fit
          LIMIT 1
        ), leased AS (
          UPDATE task t SET state = 'LEASED', attempts = t.attempts + 1, current_attempt_id = gen_random_uuid(),
                            updated_at = now()
            FROM picked WHERE t.id = picked.id
          RETURNING t.*
        ), attempt_row AS (
          INSERT INTO attempt (id, task_id, job_id, provider_id, number, state, leased_at, lease_expires_at)
          SELECT l.current_attempt_id, l.id, l.job_id, p_provider,
                 (SELECT count(*) + 1 FROM attempt a WHERE a.task_id = l.id),
                 'LEASED', now(), now() + p_lease_ms * interval '1 millisecond'
            FROM leased l
          RETURNING id, lease_expires_at
        ), job_row AS (
          UPDATE job j SET state = 'RUNNING', started_at = now(), updated_at = now()
            FROM leased l WHERE j.id = l.job_id AND j.state = 'QUEUED'
          RETURNING j.id
        )
        SELECT l.id, l.job_id, j.account_id, l.index, l.kind, l.params, l.image, l.req_cpus, l.req_memory_bytes,
               l.req_gpus, l.req_vram_bytes, l.timeout_sec, l.inputs, a.id, a.lease_expires_at
          FROM leased l CROSS JOIN attempt_row a JOIN job j ON j.id = l.job_id;
      END
      $fn$`;
