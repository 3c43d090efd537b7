/**
 * The memo a deposit transaction carries to say whose it is: `tessera:deposit:<account id>`, with
 * the classic SPL Memo program (MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr) in the same transaction
 * as the transfer. GraphQL's `chain { depositMemo }` gives it to the signed-in account, so a wallet
 * can build the transaction; `confirmDeposit` credits only the account the memo names.
 */
export const DEPOSIT_MEMO_PREFIX = 'tessera:deposit:';

export function depositMemo(accountId: string): string {
  return `${DEPOSIT_MEMO_PREFIX}${accountId}`;
}
