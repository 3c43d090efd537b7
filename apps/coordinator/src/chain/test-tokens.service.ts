import { Inject, Injectable } from '@nestjs/common';
import { PublicKey } from '@solana/web3.js';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { formatTsr, parseTsr, UNITS_PER_TSR } from '../ledger/amount';
import { ChainService } from './chain.service';
import { TestTokensDto } from './dtos/chain.dto';

/** The most one request mints: plenty for a test, not a way to make the local books meaningless. */
const MAX_TEST_TOKENS = 1_000_000n * UNITS_PER_TSR;
const FEE_SOL = 1;

/**
 * Local cluster only: mints test tokens (and airdrops SOL for fees) to a wallet, so the quick start
 * and tests can make a real deposit. Refused on devnet and mainnet, where tokens are real.
 */
@Injectable()
export class TestTokensService {
  constructor(
    private readonly chain: ChainService,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async request(actor: Actor, wallet: string, amountText: string): Promise<TestTokensDto> {
    requireAccount(actor);
    if (!this.chain.canMintTestTokens) {
      throw new AppError(
        'TEST_TOKENS_UNAVAILABLE',
        this.chain.cluster === 'local'
          ? 'this local cluster has no mint authority configured; set TESSERA_MINT_AUTHORITY_KEYPAIR (the chain writes mint-authority.json)'
          : `test tokens exist on the local cluster only; on ${this.chain.cluster} send real ${this.config.market.currency} from your wallet (tessera deposit --wallet)`,
      );
    }
    let owner: PublicKey;
    try {
      owner = new PublicKey(wallet);
    } catch {
      throw new AppError('BAD_INPUT', `"${wallet.slice(0, 60)}" is not a base58 Solana address`, 'wallet');
    }
    const amount = parseTsr(amountText, 'amount');
    if (amount <= 0n || amount > MAX_TEST_TOKENS) {
      throw new AppError(
        'BAD_INPUT',
        `amount must be more than 0 and at most ${formatTsr(MAX_TEST_TOKENS)}, got ${amountText}`,
        'amount',
      );
    }
    const airdrop = await this.chain.airdrop(owner, FEE_SOL);
    const { signature, tokenAccount } = await this.chain.mintTestTokens(owner, amount);
    // The wallet spends these next: wait until its own transfer's preflight (at `confirmed`) sees them.
    const statuses = await this.chain.waitForConfirmation([airdrop, signature], 30_000);
    if (statuses.some((s) => !s || s.err)) {
      throw new AppError(
        'CHAIN_UNAVAILABLE',
        `minting test tokens did not confirm within 30 s: ${JSON.stringify(statuses)}`,
      );
    }
    return {
      wallet: owner.toBase58(),
      tokenAccount: tokenAccount.toBase58(),
      amount: formatTsr(amount),
      sol: FEE_SOL,
      signature,
    };
  }
}
