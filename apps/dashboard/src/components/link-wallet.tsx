import { useState } from 'react';
import { linkWalletToAccount, walletName, type WalletStep } from '../lib/wallet-sign-in';
import { useSession } from '../session';
import { Note, Section } from './ui';
import { stepWords, useInjectedWallet, WalletFailure } from './wallet-sign-in';

/**
 * For an account opened by name or API key: link the browser's Solana wallet (it signs a one-time
 * message naming this account), so the account can sign in with the wallet from then on.
 */
export function LinkWallet({ onLinked }: { onLinked(): void }) {
  const { client } = useSession();
  const { wallet, current: currentWallet } = useInjectedWallet();
  const [step, setStep] = useState<WalletStep | null>(null);
  const [error, setError] = useState<unknown>(null);

  const onLink = async () => {
    const current = currentWallet();
    if (!current) return;
    setError(null);
    try {
      await linkWalletToAccount(current, (query, variables) => client.request(query, variables), setStep);
      onLinked();
    } catch (e) {
      setError(e);
    } finally {
      setStep(null);
    }
  };

  return (
    <Section title="Wallet" id="wallet">
      <div className="wallet-sign-in">
        {wallet ? (
          <>
            <p className="note">
              Link {walletName(wallet)} to this account to sign in with it instead of an API key. It signs a
              one-time message naming this account; no tokens move. A wallet signs in to one account only.
            </p>
            <WalletFailure error={error} />
            <div className="row">
              <button type="button" onClick={() => void onLink()} disabled={step !== null}>
                {step ? 'Linking…' : 'Link wallet'}
              </button>
              {step ? (
                <span className="muted" role="status">
                  {stepWords(step, 'message')}
                </span>
              ) : null}
            </div>
          </>
        ) : (
          <Note>
            No Solana wallet linked. Install a wallet extension such as Phantom and reload this page to link
            one, then sign in with it instead of an API key.
          </Note>
        )}
      </div>
    </Section>
  );
}
