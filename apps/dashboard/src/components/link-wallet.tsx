import { useEffect, useState } from 'react';
import {
  findWallet,
  linkWalletToAccount,
  walletName,
  WalletSignInError,
  type SolanaWallet,
  type WalletHost,
  type WalletStep,
} from '../lib/wallet-sign-in';
import { useSession } from '../session';
import { ErrorNotice, Note, Section } from './ui';

const STEP_WORDS: Record<WalletStep, string> = {
  connecting: 'Waiting for the wallet to connect…',
  signing: 'Approve the message in the wallet…',
  checking: 'Checking the signature…',
};

const host = () => (typeof window === 'undefined' ? undefined : (window as unknown as WalletHost));

/**
 * For an account opened by name or API key: link the browser's Solana wallet (it signs a one-time
 * message naming this account), so the account can sign in with the wallet from then on.
 */
export function LinkWallet({ onLinked }: { onLinked(): void }) {
  const { client } = useSession();
  const [wallet, setWallet] = useState<SolanaWallet | null>(() => findWallet(host()));
  useEffect(() => {
    const look = () => setWallet(findWallet(host()));
    window.addEventListener('load', look);
    return () => window.removeEventListener('load', look);
  }, []);
  const [step, setStep] = useState<WalletStep | null>(null);
  const [error, setError] = useState<unknown>(null);

  const onLink = async () => {
    const current = findWallet(host()) ?? wallet;
    if (!current) return setWallet(null);
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
            {error instanceof WalletSignInError ? (
              <div className="notice notice-error" role="alert">
                <p>{error.message}</p>
              </div>
            ) : error ? (
              <ErrorNotice error={error} />
            ) : null}
            <div className="row">
              <button type="button" onClick={() => void onLink()} disabled={step !== null}>
                {step ? 'Linking…' : 'Link wallet'}
              </button>
              {step ? (
                <span className="muted" role="status">
                  {STEP_WORDS[step]}
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
