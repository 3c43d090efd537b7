import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public market statistics (market/) read the work tasks accepted in a recent window on every
 * dashboard refresh: a partial index over accepted work by finish time keeps that a short range
 * scan however many tasks the market has done.
 */
export class MarketStats1765000000000 implements MigrationInterface {
  name = 'MarketStats1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "task_accepted_idx" ON "task" ("finished_at") WHERE "role" = 'work' AND "state" = 'ACCEPTED'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "task_accepted_idx"`);
  }
}
