import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { formatTsr } from '../ledger/amount';
import { ChainService } from './chain.service';
import { ChainDto } from './dtos/chain.dto';

/** The public description of the cluster, token and treasury (everyone may read it: it is on chain). */
@Injectable()
export class ChainInfoService {
  constructor(
    private readonly chain: ChainService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  describe(_actor: Actor): ChainDto {
    return {
      cluster: this.chain.cluster,
      rpcUrl: this.chain.rpcUrl,
      mint: this.chain.mint.toBase58(),
      decimals: this.chain.decimals,
      currency: this.config.market.currency,
      treasury: this.chain.treasury.toBase58(),
      treasuryTokenAccount: this.chain.treasuryTokenAccount.toBase58(),
      testTokens: this.chain.canMintTestTokens,
      payoutMinimum: formatTsr(this.config.payouts.minAmount),
      payoutIntervalSec: this.config.payouts.intervalMs / 1000,
    };
  }
}
