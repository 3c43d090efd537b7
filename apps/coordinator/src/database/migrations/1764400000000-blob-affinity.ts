import { MigrationInterface, QueryRunner } from 'typeorm';
import { ClaimFunction1764100000000 } from './1764100000000-claim-function';

/**
 * Blob affinity: a task may name the input worth already having (`cache_key`, the SHA-256 of an
 * inference job's model), and a provider whose agent holds that blob in its cache gets the task
 * ahead of others, so a model of 10+ MB is downloaded once per provider rather than once per task.
 *
 * The claim gains `p_blobs` (the hashes in the agent's blob cache, at most 256) and a third, first
 * preference; everything ClaimFunction1764100000000 says about the planner settings still holds:
 * - (1) the best fitting task whose cache_key is one of `p_blobs`: one probe of
 *   task_queue_cache_key_idx per blob, then the best of those;
 * - (2) the best fitting task on a cached image: one probe of task_queue_image_idx per image;
 * - (3) the best fitting task at all: an ordered walk of task_queue_idx.
 * Within each, priority then queue order. `A UNION ALL B UNION ALL C LIMIT 1` runs a branch only when
 * the ones before it found nothing, so a later branch locks nothing once an earlier one succeeded.
 * The probing branches may briefly lock the best task of each cached blob or image (a blob with no
 * queued task costs one index descent and locks nothing); the locks end with the statement.
 *
 * The image probe also changes: it now matches the image with >= and <= and orders by it, as the
 * blob probe does (the comment in the SQL says why). With `=`, scheduler.int-spec's deep-queue test
 * caught the planner walking all of task_queue_idx for it when statistics said the queue was empty.
 */
export class BlobAffinity1764400000000 implements MigrationInterface {
  name = 'BlobAffinity1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task" ADD "cache_key" character varying(64)`);
    // Only queued tasks that name a blob: most tasks name none and stay out of this index.
    await queryRunner.query(
      `CREATE INDEX "task_queue_cache_key_idx" ON "task" ("cache_key", "priority" DESC, "queued_at") WHERE "state" = 'QUEUED' AND "cache_key" IS NOT NULL`,
    );
    await queryRunner.query(
      `DROP FUNCTION tessera_claim_task(uuid, text[], real, bigint, int, bigint, text[], int, int)`,
    );
    await queryRunner.query(`
      CREATE FUNCTION tessera_claim_task(
        p_provider uuid, p_kinds text[], p_cpus real, p_memory bigint, p_gpus int, p_vram bigint,
        p_images text[], p_blobs text[], p_failure_limit int, p_lease_ms int)
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
          -- The best fitting task per cached blob (an ordered walk of task_queue_cache_key_idx each),
          -- then the best of those: one probe per blob, however deep the queue. The key is matched
          -- with >= and <= and leads the ORDER BY on purpose: with = the planner drops the key from
          -- the ordering (it is constant per probe), and with statistics that say the queue is empty
          -- it was seen walking task_queue_idx instead, filtering the whole queue. Ordered by the key
          -- first, only the keyed index yields the order without a sort (and sorts are off).
          SELECT c.id FROM unnest(p_blobs) AS blob(sha256)
          CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.queued_at FROM task t
             WHERE t.state = 'QUEUED' AND t.cache_key >= blob.sha256 AND t.cache_key <= blob.sha256
               AND t.kind = ANY(p_kinds)
               AND t.req_cpus <= p_cpus AND t.req_memory_bytes <= p_memory AND t.req_gpus <= p_gpus
               AND (t.req_gpus = 0 OR t.req_vram_bytes <= p_vram)
               AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                                WHERE f.job_id = t.job_id AND f.provider_id = p_provider AND f.failures >= p_failure_limit)
             ORDER BY t.cache_key, t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
          ORDER BY c.priority DESC, c.queued_at LIMIT 1
        ), by_image AS (
          -- The best fitting task per cached image (an ordered walk of task_queue_image_idx each),
          -- then the best of those: one probe per image, however deep the queue. Matched and ordered
          -- like the blobs above, for the same reason.
          SELECT c.id FROM unnest(p_images) AS img(name)
          CROSS JOIN LATERAL (
            SELECT t.id, t.priority, t.queued_at FROM task t
             WHERE t.state = 'QUEUED' AND t.image >= img.name AND t.image <= img.name
               AND t.kind = ANY(p_kinds)
               AND t.req_cpus <= p_cpus AND t.req_memory_bytes <= p_memory AND t.req_gpus <= p_gpus
               AND (t.req_gpus = 0 OR t.req_vram_bytes <= p_vram)
               AND NOT EXISTS (SELECT 1 FROM job_provider_failure f
                                WHERE f.job_id = t.job_id AND f.provider_id = p_provider AND f.failures >= p_failure_limit)
             ORDER BY t.image, t.priority DESC, t.queued_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
          ORDER BY c.priority DESC, c.queued_at LIMIT 1
        ), picked AS (
          -- Each branch runs only when the ones before it returned nothing (LIMIT 1 stops the append).
          SELECT id FROM by_blob
          UNION ALL
          SELECT id FROM by_image
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
      `DROP FUNCTION tessera_claim_task(uuid, text[], real, bigint, int, bigint, text[], text[], int, int)`,
    );
    // The claim as it was before this migration, from the migration that created it.
    await new ClaimFunction1764100000000().up(queryRunner);
    await queryRunner.query(`DROP INDEX "task_queue_cache_key_idx"`);
    await queryRunner.query(`ALTER TABLE "task" DROP COLUMN "cache_key"`);
  }
}
