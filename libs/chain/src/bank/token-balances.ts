import { decodeMint, decodeTokenAccount, isTokenProgram } from '../encoding/token-layout';
import { AccountView } from './svm';
import { TokenBalance } from './transaction-store';

/**
 * The token accounts among a transaction's keys and what they hold, as a validator records them in
 * pre/postTokenBalances: initialized Token or Token-2022 accounts whose mint exists.
 */
export function collectTokenBalances(
  accountKeys: string[],
  views: Array<AccountView | null>,
  loadMint: (address: string) => AccountView | null,
): TokenBalance[] {
  const decimalsByMint = new Map<string, number | null>();
  const balances: TokenBalance[] = [];
  views.forEach((view, accountIndex) => {
    if (!view || view.executable || !isTokenProgram(view.owner)) return;
    const account = decodeTokenAccount(view.data);
    if (!account) return;
    if (!decimalsByMint.has(account.mint)) {
      const mintIndex = accountKeys.indexOf(account.mint);
      const mintView = mintIndex >= 0 && views[mintIndex] ? views[mintIndex] : loadMint(account.mint);
      decimalsByMint.set(account.mint, mintView ? (decodeMint(mintView.data)?.decimals ?? null) : null);
    }
    const decimals = decimalsByMint.get(account.mint);
    if (decimals === null || decimals === undefined) return;
    balances.push({
      accountIndex,
      mint: account.mint,
      owner: account.owner,
      programId: view.owner,
      amount: account.amount,
      decimals,
    });
  });
  return balances;
}
