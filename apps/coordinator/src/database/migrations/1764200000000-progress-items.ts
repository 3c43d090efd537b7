import { MigrationInterface, QueryRunner } from 'typeorm';

/** Progress in items (frames, rows) as well as tasks, for progress bars and ETAs. */
export class ProgressItems1764200000000 implements MigrationInterface {
  name = 'ProgressItems1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "task" ADD "items" integer NOT NULL DEFAULT '1'`);
    await queryRunner.query(`ALTER TABLE "job" ADD "items_total" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "job" ADD "items_done" integer NOT NULL DEFAULT '0'`);
    // Jobs from before: one item per task.
    await queryRunner.query(`UPDATE "job" SET "items_total" = "tasks_total", "items_done" = "tasks_done"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job" DROP COLUMN "items_done"`);
    await queryRunner.query(`ALTER TABLE "job" DROP COLUMN "items_total"`);
    await queryRunner.query(`ALTER TABLE "task" DROP COLUMN "items"`);
  }
}
