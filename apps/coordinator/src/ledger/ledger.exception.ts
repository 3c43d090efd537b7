import { AppError } from '../common/app-error';
import { formatTsr } from './amount';

/**
 * A posting would take an account below zero. Carries the numbers, so a caller can tell a customer
 * exactly how much to deposit; the message reads
 * `balance 3.5 TSR, needs 5 TSR (short by 1.5 TSR) on customer:<id>:available`.
 */
export class InsufficientFundsError extends AppError {
  readonly shortfall: bigint;

  constructor(
    readonly account: string,
    readonly balance: bigint,
    readonly needed: bigint,
  ) {
    const shortfall = needed - balance;
    super(
      'INSUFFICIENT_FUNDS',
      `balance ${formatTsr(balance)} TSR, needs ${formatTsr(needed)} TSR (short by ${formatTsr(shortfall)} TSR) on ${account}`,
    );
    this.shortfall = shortfall;
  }
}
