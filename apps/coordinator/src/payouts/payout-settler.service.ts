import { Injectable, Logger } from '@nestjs/common';
import { PublicKey } from '@solana/web3.js';
import { ChainService } from '../chain/chain.service';
import { CrashPoints } from '../common/crash-points';
import { LedgerService } from '../ledger/ledger.service';
import { InsufficientFundsError } from '../ledger/ledger.exception';
import { PayoutBatchEntity, PayoutBatchState } from './payout.entities';
import { payoutInstructions, TokenContext } from './payout-transactions';
import { PayoutsRepository } from './payouts.repository';

/**
 * Moves one payout batch forward, exactly once in effect however often it is called, by whichever
 * replica, after whatever crash (docs/payments.md, "Crash safety"):
 *
 * - PENDING: nothing was signed, so nothing can be on chain. Begin each intent in the ledger
 *   (earnings → in flight; idempotent per intent), sign the transaction, store its signature, wire
 *   bytes and lastValidBlockHeight with a compare-and-set to SENT, and only then send it.
 * - SENT: ask the chain. Finalized and successful → complete each intent in the ledger (in flight →
 *   treasury), then PAID. Finalized with an error → nothing moved: cancel (back to earnings), FAILED.
 *   Not found, and the finalized block height is past lastValidBlockHeight → it can never land:
 *   cancel, EXPIRED; the earnings go into a new batch next run. Not found but still valid → send the
 *   same bytes again (a signature executes at most once) and wait.
 *
 * The block height is read before the signature status: if the status then says "not found", the
 * transaction was not in any block up to a height at or past its last valid one, so it never will be.
 */
@Injectable()
export class PayoutSettlerService {
  private readonly logger = new Logger('Payouts');

  constructor(
    private readonly chain: ChainService,
    private readonly ledger: LedgerService,
    private readonly payouts: PayoutsRepository,
    private readonly crash: CrashPoints,
  ) {}

  /** Advances the batch as far as it goes without waiting; returns its state afterwards. */
  async advance(
    batch: PayoutBatchEntity,
    opts: { resend: boolean } = { resend: true },
  ): Promise<PayoutBatchState> {
    if (batch.state === 'PENDING') return this.signAndSend(batch);
    if (batch.state === 'SENT') return this.reconcile(batch, opts.resend);
    return batch.state;
  }

  private async signAndSend(batch: PayoutBatchEntity): Promise<PayoutBatchState> {
    const pending = (await this.payouts.intentsOf(batch.id)).filter((i) => i.state === 'PENDING');
    // Each intent is its own posting on its own provider's accounts: they can run side by side.
    const results = await Promise.allSettled(
      pending.map((intent) => this.ledger.beginPayout(intent.id, intent.providerId, intent.amount)),
    );
    const begun = [];
    for (const [k, result] of results.entries()) {
      if (result.status === 'fulfilled') {
        begun.push(pending[k]);
      } else if (result.reason instanceof InsufficientFundsError) {
        // The earnings shrank since batching (e.g. staked as bond): pay it next run instead.
        this.logger.warn({
          msg: 'payout intent dropped',
          intent: pending[k].id,
          reason: result.reason.message,
        });
        await this.payouts.dropIntent(pending[k].id);
      } else {
        throw result.reason;
      }
    }
    if (begun.length === 0) {
      await this.payouts.markUnpaid(
        batch.id,
        'CANCELLED',
        'no intent could begin: the earnings were spent first',
      );
      return 'CANCELLED';
    }
    const signed = await this.chain.signAsTreasury(
      payoutInstructions(
        batch.id,
        begun.map((i) => ({ tokenAccount: new PublicKey(i.tokenAccount), amount: i.amount })),
        this.token(),
      ),
    );
    if (!(await this.payouts.markSent(batch.id, signed))) {
      // Another worker signed this batch first; its transaction is the only one that may be sent.
      return 'SENT';
    }
    this.crash.reach('payout:before-send');
    const refused = await this.chain.sendSigned(signed.wire);
    if (refused) {
      // Not forwarded; it stays SENT and is re-sent until its blockhash expires, then cancelled.
      this.logger.error({ msg: 'payout transaction refused in preflight', batch: batch.id, reason: refused });
    } else {
      this.logger.log({
        msg: 'payout sent',
        batch: batch.id,
        signature: signed.signature,
        transfers: begun.length,
        total: begun.reduce((sum, i) => sum + i.amount, 0n).toString(),
      });
    }
    this.crash.reach('payout:after-send');
    return 'SENT';
  }

  private async reconcile(batch: PayoutBatchEntity, resend: boolean): Promise<PayoutBatchState> {
    const signature = batch.signature as string;
    const height = await this.chain.finalizedBlockHeight();
    const [status] = await this.chain.signatureStatuses([signature]);
    if (status) {
      if (status.confirmationStatus !== 'finalized') return 'SENT';
      const tx = await this.chain.finalizedTransaction(signature);
      if (!tx) return 'SENT';
      const intents = (await this.payouts.intentsOf(batch.id)).filter((i) => i.state === 'SENT');
      if (tx.meta?.err) {
        await Promise.all(intents.map((intent) => this.ledger.cancelPayout(intent.id)));
        const error = `the transaction failed on chain (${JSON.stringify(tx.meta.err)}); nothing moved`;
        await this.payouts.markUnpaid(batch.id, 'FAILED', error);
        this.logger.error({ msg: 'payout transaction failed on chain', batch: batch.id, signature, error });
        return 'FAILED';
      }
      await Promise.all(intents.map((intent) => this.ledger.completePayout(intent.id, signature)));
      this.crash.reach('payout:after-record');
      const cost = this.chain.costOf(tx);
      await this.payouts.markPaid(batch.id, cost.fee, tx.slot);
      this.logger.log({ msg: 'payout final', batch: batch.id, signature, transfers: intents.length });
      return 'PAID';
    }
    if (height > (batch.lastValidBlockHeight as number)) {
      const intents = (await this.payouts.intentsOf(batch.id)).filter((i) => i.state === 'SENT');
      await Promise.all(intents.map((intent) => this.ledger.cancelPayout(intent.id)));
      await this.payouts.markUnpaid(
        batch.id,
        'EXPIRED',
        `never landed; its blockhash expired (finalized block height ${height} > ${batch.lastValidBlockHeight}), so it never can: the earnings wait for the next batch`,
      );
      this.logger.warn({
        msg: 'payout transaction expired unsent; earnings returned',
        batch: batch.id,
        signature,
      });
      return 'EXPIRED';
    }
    if (resend) {
      // Maybe never sent (a crash right after signing) or dropped by the cluster: the same bytes
      // again. If it did land meanwhile, this is refused as already processed.
      await this.chain.sendSigned(Buffer.from(batch.transaction as string, 'base64'));
    }
    return 'SENT';
  }

  private token(): TokenContext {
    return {
      mint: this.chain.mint,
      decimals: this.chain.decimals,
      tokenProgram: this.chain.tokenProgram,
      treasury: this.chain.treasury,
      treasuryTokenAccount: this.chain.treasuryTokenAccount,
    };
  }
}
