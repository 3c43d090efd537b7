import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { SignedTransaction } from '../chain/chain.service';
import {
  PayoutBatchEntity,
  PayoutBatchState,
  PayoutIntentEntity,
  TokenAccountSetupEntity,
} from './payout.entities';

/** A provider whose earnings are due, with the wallet it is paid to. */
export interface OwedProvider {
  providerId: string;
  /** The provider's owner wallet, else its own address. */
  wallet: string;
  earnings: bigint;
}

export interface NewIntent {
  providerId: string;
  wallet: string;
  tokenAccount: string;
  amount: bigint;
}

/** A provider's payout as the API shows it: the intent with its batch's transaction. */
export interface PayoutRow extends PayoutIntentEntity {
  signature: string | null;
  transfers: number;
}

/** Payout batches, intents and token-account setups; the only code that touches their tables. */
@Injectable()
export class PayoutsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Providers whose earnings reach `min` and who have no payout open, largest first. Reads the
   * ledger's materialized balances (read-only: money moves only through LedgerService).
   */
  async providersOwed(min: bigint, limit: number): Promise<OwedProvider[]> {
    const rows: { providerId: string; wallet: string; earnings: string }[] = await this.db.query(
      `SELECT p.id AS "providerId", COALESCE(p.owner, p.address) AS wallet, a.balance::text AS earnings
         FROM ledger_account a
         JOIN provider p ON p.id = a.owner_id
        WHERE a.type = 'provider_earnings' AND a.balance >= $1
          AND NOT EXISTS (SELECT 1 FROM payout_intent i
                           WHERE i.provider_id = p.id AND i.state IN ('PENDING', 'SENT'))
        ORDER BY a.balance DESC, p.id
        LIMIT $2`,
      [min.toString(), limit],
    );
    return rows.map((r) => ({ ...r, earnings: BigInt(r.earnings) }));
  }

  /**
   * Records a batch and its intents in one transaction, the batch claimed by the caller for
   * `leaseMs`. An intent for a provider that already has an open one (another replica batched it
   * a moment ago) is left out by the partial unique index; a batch left with none is not kept.
   */
  async createBatch(
    intents: NewIntent[],
    leaseMs: number,
  ): Promise<{ batch: PayoutBatchEntity; intents: PayoutIntentEntity[] } | null> {
    if (intents.length === 0) return null;
    return this.db.transaction(async (tx) => {
      const [{ id }]: { id: string }[] = await tx.query(
        `INSERT INTO payout_batch (state, transfers, total, claimed_until)
         VALUES ('PENDING', 0, 0, now() + $1 * interval '1 millisecond') RETURNING id`,
        [leaseMs],
      );
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO payout_intent (batch_id, provider_id, wallet, token_account, amount, state)
         SELECT $1::uuid, u.provider_id, u.wallet, u.token_account, u.amount, 'PENDING'
           FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::bigint[]) AS u(provider_id, wallet, token_account, amount)
         ON CONFLICT (provider_id) WHERE state IN ('PENDING', 'SENT') DO NOTHING
         RETURNING id`,
        [
          id,
          intents.map((i) => i.providerId),
          intents.map((i) => i.wallet),
          intents.map((i) => i.tokenAccount),
          intents.map((i) => i.amount.toString()),
        ],
      );
      if (inserted.length === 0) {
        await tx.query(`DELETE FROM payout_batch WHERE id = $1`, [id]);
        return null;
      }
      await this.recount(tx, id);
      return {
        batch: (await tx.getRepository(PayoutBatchEntity).findOneBy({ id })) as PayoutBatchEntity,
        intents: await tx
          .getRepository(PayoutIntentEntity)
          .find({ where: { batchId: id }, order: { id: 'ASC' } }),
      };
    });
  }

  /**
   * Claims up to `limit` unfinished batches nobody holds (or whose holder's lease ran out, e.g. it
   * crashed), oldest first, for `leaseMs`. SKIP LOCKED: replicas claiming at once take different ones.
   */
  async claimOpen(leaseMs: number, limit: number): Promise<PayoutBatchEntity[]> {
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [ids] = (await this.db.query(
      `UPDATE payout_batch SET claimed_until = now() + $1 * interval '1 millisecond'
        WHERE id IN (SELECT id FROM payout_batch
                      WHERE state IN ('PENDING', 'SENT') AND (claimed_until IS NULL OR claimed_until < now())
                      ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [leaseMs, limit],
    )) as [{ id: string }[], number];
    return this.batches(ids.map((r) => r.id));
  }

  async release(batchIds: string[]): Promise<void> {
    if (batchIds.length === 0) return;
    await this.db.query(`UPDATE payout_batch SET claimed_until = NULL WHERE id = ANY($1::uuid[])`, [
      batchIds,
    ]);
  }

  async batches(ids: string[]): Promise<PayoutBatchEntity[]> {
    if (ids.length === 0) return [];
    return this.db
      .getRepository(PayoutBatchEntity)
      .createQueryBuilder('b')
      .where('b.id IN (:...ids)', { ids })
      .orderBy('b.createdAt', 'ASC')
      .getMany();
  }

  intentsOf(batchId: string): Promise<PayoutIntentEntity[]> {
    return this.db.getRepository(PayoutIntentEntity).find({ where: { batchId }, order: { id: 'ASC' } });
  }

  /** An intent whose amount the ledger could not take from earnings: out of the (unsigned) batch. */
  async dropIntent(intentId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [[row]] = (await tx.query(
        `UPDATE payout_intent SET state = 'CANCELLED', finished_at = now()
          WHERE id = $1 AND state = 'PENDING' RETURNING batch_id AS "batchId"`,
        [intentId],
      )) as [{ batchId: string }[], number];
      if (row) await this.recount(tx, row.batchId);
    });
  }

  /**
   * The compare-and-set that makes a batch signed at most once: stores the signature, wire bytes
   * and lastValidBlockHeight and moves PENDING → SENT, before anything is sent. False when the
   * batch had left PENDING (another worker signed it): the caller must then not send its own.
   */
  async markSent(batchId: string, signed: SignedTransaction): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [, updated] = (await tx.query(
        `UPDATE payout_batch SET state = 'SENT', signature = $2, transaction = $3, last_valid_block_height = $4, sent_at = now()
          WHERE id = $1 AND state = 'PENDING'`,
        [batchId, signed.signature, signed.wire.toString('base64'), signed.lastValidBlockHeight],
      )) as [unknown, number];
      if (updated !== 1) return false;
      await tx.query(`UPDATE payout_intent SET state = 'SENT' WHERE batch_id = $1 AND state = 'PENDING'`, [
        batchId,
      ]);
      return true;
    });
  }

  /** SENT → PAID with what the transaction cost; its intents are paid. */
  async markPaid(batchId: string, feeLamports: bigint, slot: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE payout_batch SET state = 'PAID', fee_lamports = $2, slot = $3, finished_at = now(), claimed_until = NULL
          WHERE id = $1 AND state = 'SENT'`,
        [batchId, feeLamports.toString(), slot],
      );
      await tx.query(
        `UPDATE payout_intent SET state = 'PAID', finished_at = now() WHERE batch_id = $1 AND state = 'SENT'`,
        [batchId],
      );
    });
  }

  /** → FAILED, EXPIRED or CANCELLED: nothing was paid; the intents are cancelled. */
  async markUnpaid(
    batchId: string,
    state: Extract<PayoutBatchState, 'FAILED' | 'EXPIRED' | 'CANCELLED'>,
    error: string,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE payout_batch SET state = $2, error = $3, finished_at = now(), claimed_until = NULL
          WHERE id = $1 AND state IN ('PENDING', 'SENT')`,
        [batchId, state, error.slice(0, 500)],
      );
      await tx.query(
        `UPDATE payout_intent SET state = 'CANCELLED', finished_at = now()
          WHERE batch_id = $1 AND state IN ('PENDING', 'SENT')`,
        [batchId],
      );
    });
  }

  // Token account setups ------------------------------------------------------------------------

  /**
   * Records a setup before it is sent. Two replicas creating the same wallets' accounts on the same
   * blockhash sign byte-identical transactions (ed25519 is deterministic): one row, one execution.
   */
  async insertSetup(signed: SignedTransaction, wallets: string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO token_account_setup (signature, state, transaction, last_valid_block_height, wallets)
       VALUES ($1, 'SENT', $2, $3, $4) ON CONFLICT (signature) DO NOTHING`,
      [
        signed.signature,
        signed.wire.toString('base64'),
        signed.lastValidBlockHeight,
        JSON.stringify(wallets),
      ],
    );
  }

  openSetups(): Promise<TokenAccountSetupEntity[]> {
    return this.db.getRepository(TokenAccountSetupEntity).find({ where: { state: 'SENT' }, take: 100 });
  }

  async finishSetup(
    signature: string,
    state: 'DONE' | 'FAILED' | 'EXPIRED',
    cost: { feeLamports: bigint; rentLamports: bigint } | null,
  ): Promise<void> {
    await this.db.query(
      `UPDATE token_account_setup SET state = $2, fee_lamports = $3, rent_lamports = $4, finished_at = now()
        WHERE signature = $1 AND state = 'SENT'`,
      [signature, state, cost?.feeLamports.toString() ?? null, cost?.rentLamports.toString() ?? null],
    );
  }

  // Reads for the API ---------------------------------------------------------------------------

  /** Providers' payouts, newest first, at most `limit` each. */
  async payoutsOfProviders(providerIds: readonly string[], limit: number): Promise<PayoutRow[]> {
    if (providerIds.length === 0) return [];
    const rows: (PayoutRow & { amount: string })[] = await this.db.query(
      `SELECT i.id, i.batch_id AS "batchId", i.provider_id AS "providerId", i.wallet, i.token_account AS "tokenAccount",
              i.amount::text AS amount, i.state, i.created_at AS "createdAt", i.finished_at AS "finishedAt",
              b.signature, b.transfers
         FROM (SELECT *, row_number() OVER (PARTITION BY provider_id ORDER BY created_at DESC, id) AS n
                 FROM payout_intent WHERE provider_id = ANY($1::uuid[])) i
         JOIN payout_batch b ON b.id = i.batch_id
        WHERE i.n <= $2
        ORDER BY i.created_at DESC, i.id`,
      [providerIds, limit],
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  /** What each provider has been paid in total (confirmed on chain). */
  async paidTotals(providerIds: readonly string[]): Promise<Map<string, bigint>> {
    if (providerIds.length === 0) return new Map();
    const rows: { providerId: string; paid: string }[] = await this.db.query(
      `SELECT provider_id AS "providerId", sum(amount)::text AS paid FROM payout_intent
        WHERE provider_id = ANY($1::uuid[]) AND state = 'PAID' GROUP BY provider_id`,
      [providerIds],
    );
    return new Map(rows.map((r) => [r.providerId, BigInt(r.paid)]));
  }

  /** The batch's transfers and total from its live (not cancelled) intents. */
  private async recount(tx: EntityManager, batchId: string): Promise<void> {
    await tx.query(
      `UPDATE payout_batch b SET transfers = s.n, total = s.total
         FROM (SELECT count(*)::int AS n, COALESCE(sum(amount), 0) AS total FROM payout_intent
                WHERE batch_id = $1 AND state <> 'CANCELLED') s
        WHERE b.id = $1`,
      [batchId],
    );
  }
}
