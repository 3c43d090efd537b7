import { MigrationInterface, QueryRunner } from 'typeorm';

const KINDS_BEFORE = `'deposit','escrow_reserve','task_capture','escrow_refund','bond_hold','bond_slash','payout_begin','payout_complete','payout_cancel','payout_fee','adjustment'`;

/**
 * Verifiers are paid: a spot-check's re-execution earns its provider a share of the checked task's
 * price, from the platform's fees (journal kind `check_pay`, once per check task).
 */
export class CheckPay1764900000000 implements MigrationInterface {
  name = 'CheckPay1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ledger_journal" DROP CONSTRAINT "ledger_journal_kind_ck"`);
    await queryRunner.query(
      `ALTER TABLE "ledger_journal" ADD CONSTRAINT "ledger_journal_kind_ck" CHECK ("kind" IN (${KINDS_BEFORE},'check_pay'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ledger_journal" DROP CONSTRAINT "ledger_journal_kind_ck"`);
    // Journals are append-only: existing check_pay rows stay, the constraint covers new rows only.
    await queryRunner.query(
      `ALTER TABLE "ledger_journal" ADD CONSTRAINT "ledger_journal_kind_ck" CHECK ("kind" IN (${KINDS_BEFORE})) NOT VALID`,
    );
  }
}
