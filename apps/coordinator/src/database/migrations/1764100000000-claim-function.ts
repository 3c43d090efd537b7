import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The claim as a database function, for two reasons measured by bench/dispatch:
 * - Its plan must not depend on table statistics. Right after a large submission the planner still
 *   believes few tasks are queued and picks a bitmap scan plus a sort of the whole queue to return
 *   one row (3.3 ms at 2,000 queued, 11.5 ms at 10,000). With sorts and bitmap scans off inside the
 *   function, the only plan left walks the queue index in order and stops at the first fit.
 * - plpgsql caches the plan per connection, so the statement is not parsed and planned per claim.
 * - JIT is off: the planner prices a disabled plan node at 10^10, far above jit_above_cost, and
 *   compiling the claim took ~190 ms per call where running it takes well under a millisecond.
 *
 * What it does, in one statement: pick the best fitting queued task with FOR UPDATE SKIP LOCKED
 * (tasks on a cached image first, then priority, then queue order; never a job this provider has
 * failed `p_failure_limit` times), mark it LEASED, create its attempt, and move its job to RUNNING on
 * its first lease. `A UNION ALL B LIMIT 1` runs B only when A found nothing, so the fallback branch
 * locks nothing when the preferred one succeeds. The preferred branch may briefly lock the best task
 * of each cached image (the caller passes only allow-listed images, a handful); they are released
 * when the statement ends.
 */
export class ClaimFunction1764100000000 implements MigrationInterface {
  name = 'ClaimFunction1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION tessera_claim_task(
        p_provider uuid, p_kinds text[], p_cpus real, p_memory bigint, p_gpus int, p_vram bigint,
        p_images text[], p_failure_limit int, p_lease_ms int)
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
        WITH preferred AS (
          -- The best fitting task per cached image (an ordered walk of task_queue_image_idx each),
          -- then the best of those: one probe per image, however deep the queue.
          SELECT c.id FROM unnest(p_images) AS img(name)
          CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.queued_at FROM task t
             WHERE t.state = 'QUEUED' AND t.image = img.name AND t.kind = ANY(p_kinds)
               AND t.req_cpus <= p_cpus AND t.req_memory_bytes <= p_memory AND t.req_gpus <= p_gpus
               AND (t.req_gpus = 0 OR t.req_vram_bytes <= p_vram)
               AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                                WHERE f.job_id = t.job_id AND f.provider_id = p_provider AND f.failures >= p_failure_limit)
             ORDER BY t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
          ORDER BY c.priority DESC, c.queued_at LIMIT 1
        ), picked AS (
          SELECT id FROM preferred
          UNION ALL
          SELECT id FROM (
            SELECT t.id FROM task t
             WHERE t.state = 'QUEUED' AND t.kind = ANY(p_kinds)
               AND t.req_cpus <= p_cpus AND t.req_memory_bytes <= p_memory AND t.req_gpus <= p_gpus
               AND (t.req_gpus = 0 OR t.req_vram_bytes <= p_vram)
               AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                                WHERE f.job_id = t.job_id AND f.provider_id = p_provider AND f.failures >= p_failure_limit)
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
      $fn$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION tessera_claim_task(uuid, text[], real, bigint, int, bigint, text[], int, int)`,
    );
  }
}
