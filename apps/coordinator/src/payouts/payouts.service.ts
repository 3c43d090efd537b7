import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { ChainService } from '../chain/chain.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { formatTsr } from '../ledger/amount';
import { ledgerAccount } from '../ledger/ledger-account';
import { LedgerService } from '../ledger/ledger.service';
import { EarningsDto, PayoutDto, PayoutState } from './dtos/payout.dto';
import { PayoutRow, PayoutsRepository } from './payouts.repository';

/**
 * A provider's earnings and payouts as the API shows them. Public, like the provider list: payouts
 * are transfers anyone can read on chain, and earnings are what those transfers will be.
 */
@Injectable()
export class PayoutsService {
  constructor(
    private readonly payouts: PayoutsRepository,
    private readonly ledger: LedgerService,
    private readonly chain: ChainService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** Each provider's newest payouts (at most `limit` each), in the order of `providerIds`. */
  async payoutsOf(_actor: Actor, providerIds: readonly string[], limit: number): Promise<PayoutDto[][]> {
    const rows = await this.payouts.payoutsOfProviders(providerIds, Math.min(Math.max(limit, 1), 500));
    return providerIds.map((id) => rows.filter((r) => r.providerId === id).map((r) => this.toDto(r)));
  }

  async earningsOf(_actor: Actor, providerIds: readonly string[]): Promise<EarningsDto[]> {
    const [paid, fromChecks] = await Promise.all([
      this.payouts.paidTotals(providerIds),
      this.ledger.checkPayTotals(providerIds),
    ]);
    return Promise.all(
      providerIds.map(async (id) => ({
        pending: formatTsr(await this.ledger.balance(ledgerAccount.providerEarnings(id))),
        inFlight: formatTsr(await this.ledger.balance(ledgerAccount.providerPayoutsInFlight(id))),
        paid: formatTsr(paid.get(id) ?? 0n),
        fromChecks: formatTsr(fromChecks.get(id) ?? 0n),
        currency: this.config.market.currency,
      })),
    );
  }

  private toDto(r: PayoutRow): PayoutDto {
    return {
      id: r.id,
      state: r.state as PayoutState,
      amount: formatTsr(r.amount),
      currency: this.config.market.currency,
      wallet: r.wallet,
      tokenAccount: r.tokenAccount,
      signature: r.signature,
      explorerUrl: r.signature ? this.chain.explorerUrl(r.signature) : null,
      transfers: r.transfers,
      batchId: r.batchId,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
    };
  }
}
