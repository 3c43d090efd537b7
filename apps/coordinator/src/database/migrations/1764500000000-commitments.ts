import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Commitments: the Merkle root over its output items (frames, rows) that a provider sends with a
 * completed task, and how many items it covers (docs/protocol.md, "Commitments"), kept on the
 * attempt so that spot-checks can sample items after it and check proofs against it. Null for
 * kinds without items and for agents that predate commitments.
 */
export class Commitments1764500000000 implements MigrationInterface {
  name = 'Commitments1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "attempt" ADD "commitment_root" character(64)`);
    await queryRunner.query(`ALTER TABLE "attempt" ADD "commitment_items" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "attempt" DROP COLUMN "commitment_items"`);
    await queryRunner.query(`ALTER TABLE "attempt" DROP COLUMN "commitment_root"`);
  }
}
