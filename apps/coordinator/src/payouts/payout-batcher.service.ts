import { Inject, Injectable, Logger } from '@nestjs/common';
import { PublicKey } from '@solana/web3.js';
import { ChainService } from '../chain/chain.service';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { formatTsr } from '../ledger/amount';
import { PayoutBatchEntity } from './payout.entities';
import { packTransfers } from './payout-transactions';
import { NewIntent, OwedProvider, PayoutsRepository } from './payouts.repository';
import { TokenAccountSetupsService } from './token-account-setups.service';

/** Providers one run batches at most: 20 transactions of 18. The rest wait for the next run. */
const MAX_PROVIDERS_PER_RUN = 360;

/**
 * Turns earnings that reached the minimum into payout batches: picks the providers owed (none
 * with a payout still open), pays no more than the treasury's token account holds, makes sure each
 * wallet has a token account, and records batches of as many transfers as fit in one transaction
 * (18, or TESSERA_PAYOUT_MAX_TRANSFERS), each intent with its provider's whole earnings.
 */
@Injectable()
export class PayoutBatcherService {
  private readonly logger = new Logger('Payouts');

  constructor(
    private readonly chain: ChainService,
    private readonly payouts: PayoutsRepository,
    private readonly setups: TokenAccountSetupsService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** New batches, claimed by the caller for `leaseMs`, still PENDING (nothing signed yet). */
  async createBatches(leaseMs: number): Promise<PayoutBatchEntity[]> {
    const owed = (
      await this.payouts.providersOwed(this.config.payouts.minAmount, MAX_PROVIDERS_PER_RUN)
    ).filter((o) => this.validWallet(o));
    if (owed.length === 0) return [];
    const affordable = await this.affordable(owed);
    const ready = await this.setups.ensure(
      affordable.map((o) => o.wallet),
      Math.min(leaseMs / 2, 30_000),
    );
    const intents: NewIntent[] = affordable
      .filter((o) => ready.has(o.wallet))
      .map((o) => ({
        providerId: o.providerId,
        wallet: o.wallet,
        tokenAccount: this.chain.tokenAccountOf(new PublicKey(o.wallet)).toBase58(),
        amount: o.earnings,
      }));
    const groups = packTransfers(
      intents.map((i) => ({ ...i, tokenAccount: new PublicKey(i.tokenAccount) })),
      this.config.payouts.maxTransfersPerTx,
      {
        mint: this.chain.mint,
        decimals: this.chain.decimals,
        tokenProgram: this.chain.tokenProgram,
        treasury: this.chain.treasury,
        treasuryTokenAccount: this.chain.treasuryTokenAccount,
      },
    );
    const batches: PayoutBatchEntity[] = [];
    for (const group of groups) {
      const created = await this.payouts.createBatch(
        group.map((g) => ({ ...g, tokenAccount: g.tokenAccount.toBase58() })),
        leaseMs,
      );
      if (created) batches.push(created.batch);
    }
    return batches;
  }

  /** The owed providers the treasury's token balance covers, largest first. */
  private async affordable(owed: OwedProvider[]): Promise<OwedProvider[]> {
    const balance = await this.chain.tokenBalance(this.chain.treasuryTokenAccount);
    let left = balance;
    const covered = owed.filter((o) => {
      if (o.earnings > left) return false;
      left -= o.earnings;
      return true;
    });
    if (covered.length < owed.length) {
      const total = owed.reduce((sum, o) => sum + o.earnings, 0n);
      this.logger.error({
        msg: `the treasury's token account holds ${formatTsr(balance)} but ${owed.length} providers are owed ${formatTsr(total)}: fund it; paying ${covered.length} now`,
        treasuryTokenAccount: this.chain.treasuryTokenAccount.toBase58(),
      });
    }
    return covered;
  }

  private validWallet(o: OwedProvider): boolean {
    try {
      new PublicKey(o.wallet);
      return true;
    } catch {
      this.logger.error({
        msg: 'provider wallet is not a Solana address; not paid',
        provider: o.providerId,
        wallet: o.wallet,
      });
      return false;
    }
  }
}
