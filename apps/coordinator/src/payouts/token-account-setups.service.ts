import { Injectable, Logger } from '@nestjs/common';
import { PublicKey } from '@solana/web3.js';
import { ChainService } from '../chain/chain.service';
import { SETUP_WALLETS_PER_TX, tokenAccountSetupInstructions } from './payout-transactions';
import { PayoutsRepository } from './payouts.repository';

/**
 * Creates the token accounts of wallets about to be paid, in transactions of their own
 * (createAssociatedTokenAccountIdempotent, the treasury paying rent and fee in SOL), so that a
 * payout transaction carries only transfers: 18 of them rather than 9. Creation is idempotent, so
 * repeating it after a crash, or two replicas doing it at once, costs at most a fee. What each
 * setup cost is read from the finalized transaction and kept in `token_account_setup`: the
 * platform's SOL expense for onboarding wallets (docs/payments.md).
 */
@Injectable()
export class TokenAccountSetupsService {
  private readonly logger = new Logger('Payouts');

  constructor(
    private readonly chain: ChainService,
    private readonly payouts: PayoutsRepository,
  ) {}

  /**
   * Makes sure each wallet has a token account for the mint; waits up to `timeoutMs` for the
   * creations to confirm. Returns the wallets whose token account exists afterwards.
   */
  async ensure(wallets: string[], timeoutMs: number): Promise<Set<string>> {
    const unique = [...new Set(wallets)];
    const accountOf = new Map(unique.map((w) => [w, this.chain.tokenAccountOf(new PublicKey(w))]));
    let existing = await this.chain.existingAccounts([...accountOf.values()]);
    const missing = unique.filter((w) => !existing.has(accountOf.get(w)!.toBase58()));
    if (missing.length > 0) {
      const signatures: string[] = [];
      for (let i = 0; i < missing.length; i += SETUP_WALLETS_PER_TX) {
        const chunk = missing.slice(i, i + SETUP_WALLETS_PER_TX);
        const signed = await this.chain.signAsTreasury(
          tokenAccountSetupInstructions(
            chunk.map((w) => new PublicKey(w)),
            {
              mint: this.chain.mint,
              decimals: this.chain.decimals,
              tokenProgram: this.chain.tokenProgram,
              treasury: this.chain.treasury,
              treasuryTokenAccount: this.chain.treasuryTokenAccount,
            },
          ),
        );
        // Recorded before it is sent, so its cost is found and kept even if we crash right after.
        await this.payouts.insertSetup(signed, chunk);
        const refused = await this.chain.sendSigned(signed.wire);
        if (refused) {
          this.logger.error({
            msg: 'token account setup refused (does the treasury hold SOL?)',
            reason: refused,
          });
        } else {
          signatures.push(signed.signature);
          this.logger.log({
            msg: 'creating token accounts',
            signature: signed.signature,
            wallets: chunk.length,
          });
        }
      }
      if (signatures.length > 0) await this.chain.waitForConfirmation(signatures, timeoutMs);
      existing = await this.chain.existingAccounts([...accountOf.values()]);
    }
    return new Set(unique.filter((w) => existing.has(accountOf.get(w)!.toBase58())));
  }

  /** Records the cost of setups that are final; gives up those that can no longer land. */
  async reconcile(): Promise<void> {
    const open = await this.payouts.openSetups();
    if (open.length === 0) return;
    const height = await this.chain.finalizedBlockHeight();
    const statuses = await this.chain.signatureStatuses(open.map((s) => s.signature));
    for (const [i, setup] of open.entries()) {
      const status = statuses[i];
      if (status?.confirmationStatus === 'finalized') {
        const tx = await this.chain.finalizedTransaction(setup.signature);
        if (!tx) continue;
        const cost = this.chain.costOf(tx);
        await this.payouts.finishSetup(setup.signature, tx.meta?.err ? 'FAILED' : 'DONE', {
          feeLamports: cost.fee,
          rentLamports: cost.rent,
        });
      } else if (!status && height > setup.lastValidBlockHeight) {
        await this.payouts.finishSetup(setup.signature, 'EXPIRED', null);
      }
    }
  }
}
