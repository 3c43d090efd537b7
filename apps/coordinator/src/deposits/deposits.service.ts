import { Inject, Injectable } from '@nestjs/common';
import bs58 from 'bs58';
import { Actor, requireAccount } from '../auth/actor';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { ChainService } from '../chain/chain.service';
import { formatTsr } from '../ledger/amount';
import { LedgerService } from '../ledger/ledger.service';
import { DepositEntity } from './deposit.entity';
import { depositMemo } from './deposit-memo';
import { verifyDepositTransaction } from './deposit-verifier';
import { DepositsRepository } from './deposits.repository';
import { DepositDto } from './dtos/deposit.dto';

/**
 * Deposits (DESIGN.md §6): a customer sends tokens to the treasury's token account with a memo
 * naming its account, then asks us to confirm the signature. We read the transaction from chain,
 * require it finalized and successful, check mint, destination, amount and memo, and credit the
 * account exactly once: the ledger posting is keyed by the signature (a concurrent confirm replays
 * it instead of crediting again) and the deposit table holds each signature once.
 */
@Injectable()
export class DepositsService {
  constructor(
    private readonly chain: ChainService,
    private readonly ledger: LedgerService,
    private readonly deposits: DepositsRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** The memo the signed-in account's deposits must carry; null for anyone else. */
  memoFor(actor: Actor): string | null {
    return actor.kind === 'account' ? depositMemo(actor.accountId) : null;
  }

  async confirm(actor: Actor, signature: string): Promise<DepositDto> {
    const accountId = requireAccount(actor);
    checkSignature(signature);
    const known = await this.deposits.findBySignature(signature);
    if (known) throw this.replayed(known, accountId);

    const [status] = await this.chain.signatureStatuses([signature]);
    if (!status) {
      throw new AppError(
        'DEPOSIT_NOT_FOUND',
        `no transaction ${signature} on ${this.chain.cluster} (${this.chain.rpcUrl}); check the signature and the cluster (a transaction sent a moment ago may take a few seconds to appear)`,
      );
    }
    if (status.err) {
      throw new AppError(
        'DEPOSIT_FAILED',
        `the transaction failed on chain (${JSON.stringify(status.err)}); nothing was transferred, so nothing is credited`,
      );
    }
    // Only a finalized transaction cannot be rolled back; crediting earlier could credit tokens that
    // never arrive. The parsed read below asks for `finalized` too, so a race can only refuse.
    const tx =
      status.confirmationStatus === 'finalized' ? await this.chain.finalizedTransaction(signature) : null;
    if (!tx) {
      throw new AppError(
        'DEPOSIT_NOT_FINAL',
        `the transaction is ${status.confirmationStatus ?? 'processed'} but not finalized yet; try again in a few seconds`,
      );
    }
    const verified = verifyDepositTransaction(tx, {
      mint: this.chain.mint.toBase58(),
      treasuryTokenAccount: this.chain.treasuryTokenAccount.toBase58(),
      accountId,
    });

    const journal = await this.ledger.creditDeposit(accountId, verified.amount, signature);
    // Record the deposit whether this call credited it or a concurrent one did (that one may have
    // crashed before recording it); only the call that posted the credit reports success.
    const row = await this.deposits.recordOnce({
      signature,
      accountId,
      amount: verified.amount,
      wallet: verified.wallet,
      slot: verified.slot,
      journalId: journal.id,
    });
    if (journal.replayed) throw this.replayed(row, accountId);
    return this.toDto(row);
  }

  async list(actor: Actor, limit: number): Promise<DepositDto[]> {
    const accountId = requireAccount(actor);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new AppError('BAD_INPUT', `limit must be from 1 to 500, got ${limit}`, 'limit');
    }
    return (await this.deposits.listByAccount(accountId, limit)).map((d) => this.toDto(d));
  }

  private replayed(deposit: DepositEntity, accountId: string): AppError {
    const whose = deposit.accountId === accountId ? 'this account' : 'another account';
    return new AppError(
      'DEPOSIT_REPLAYED',
      `transaction ${deposit.signature} was already credited (${formatTsr(deposit.amount)} ${this.config.market.currency} to ${whose} at ${deposit.createdAt.toISOString()}); a deposit counts once`,
    );
  }

  private toDto(d: DepositEntity): DepositDto {
    return {
      id: d.id,
      signature: d.signature,
      amount: formatTsr(d.amount),
      currency: this.config.market.currency,
      wallet: d.wallet,
      slot: d.slot,
      explorerUrl: this.chain.explorerUrl(d.signature),
      createdAt: d.createdAt,
    };
  }
}

/** A transaction signature is 64 bytes in base58 (87 or 88 characters). */
function checkSignature(signature: string): void {
  let bytes: Uint8Array | null = null;
  try {
    bytes = signature.length <= 88 ? bs58.decode(signature) : null;
  } catch {
    bytes = null;
  }
  if (bytes?.length !== 64) {
    throw new AppError(
      'BAD_INPUT',
      `"${signature.slice(0, 100)}" is not a Solana transaction signature (64 bytes in base58)`,
      'signature',
    );
  }
}
