import { MigrationInterface, QueryRunner } from 'typeorm';

/** Registered ONNX models for inference batches (apps/coordinator/src/models). */
export class Models1764300000000 implements MigrationInterface {
  name = 'Models1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "model" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "onnx_sha256" character(64) NOT NULL, "onnx_size" bigint NOT NULL, "labels_sha256" character(64), "labels_size" bigint, "inputs" jsonb NOT NULL, "outputs" jsonb NOT NULL, "batch_size" integer NOT NULL, "preprocess" jsonb, "postprocess" jsonb, "ms_per_row" real, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d6df271bba301d5cc79462912a4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "model_account_name_uq" ON "model"  ("account_id", "name") `,
    );
    await queryRunner.query(
      `ALTER TABLE "model" ADD CONSTRAINT "FK_d3818759a35ef6072fa2f2ef966" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "model"`);
  }
}
