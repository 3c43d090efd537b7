import { useEffect, useState } from 'react';
import { GraphQLClient } from '../api/graphql-client';
import {
  findWallet,
  signInWithWallet,
  walletName,
  WalletSignInError,
  type SolanaWallet,
  type WalletHost,
  type WalletStep,
} from '../lib/wallet-sign-in';
import { shortAddress } from '../lib/format';
import { ErrorNotice, Note, Section } from './ui';

/** What the page says while a wallet flow waits, naming the message the wallet is asked to sign. */
export function stepWords(step: WalletStep, message: string): string {
  if (step === 'connecting') return 'Waiting for the wallet to connect…';
  if (step === 'signing') return `Approve the ${message} in the wallet…`;
  return 'Checking the signature…';
}

const host = () => (typeof window === 'undefined' ? undefined : (window as unknown as WalletHost));

/**
 * The browser's Solana wallet, looked for again once the page has loaded (wallet extensions inject
 * themselves while it loads); `current()` looks again at the moment of use.
 */
export function useInjectedWallet(): { wallet: SolanaWallet | null; current(): SolanaWallet | null } {
  const [wallet, setWallet] = useState<SolanaWallet | null>(() => findWallet(host()));
  useEffect(() => {
    const look = () => setWallet(findWallet(host()));
    look();
    window.addEventListener('load', look);
    return () => window.removeEventListener('load', look);
  }, []);
  return {
    wallet,
    current: () => {
      const found = findWallet(host()) ?? wallet;
      if (!found) setWallet(null);
      return found;
    },
  };
}

/** A wallet flow's failure: the wallet's own in its words, the coordinator's as an API error. */
export function WalletFailure({ error }: { error: unknown }) {
  if (!error) return null;
  return error instanceof WalletSignInError ? (
    <div className="notice notice-error" role="alert">
      <p>{error.message}</p>
    </div>
  ) : (
    <ErrorNotice error={error} />
  );
}

/**
 * Sign in with the browser's Solana wallet (Phantom and wallets with its injected API): the wallet
 * signs a one-time message from the coordinator, which answers with an API key for this browser,
 * opening an account for the wallet on its first sign-in. Without a wallet, a note says so.
 */
export function WalletSignIn({ onSignedIn }: { onSignedIn(apiKey: string): void }) {
  const { wallet, current: currentWallet } = useInjectedWallet();
  const [step, setStep] = useState<WalletStep | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [signedIn, setSignedIn] = useState<{ address: string; created: boolean } | null>(null);

  const onConnect = async () => {
    const current = currentWallet();
    if (!current) return;
    setError(null);
    try {
      const client = new GraphQLClient();
      const result = await signInWithWallet(
        current,
        (query, variables) => client.request(query, variables),
        setStep,
      );
      setSignedIn({ address: result.account.wallet ?? '', created: result.created });
      onSignedIn(result.apiKey);
    } catch (e) {
      setError(e);
    } finally {
      setStep(null);
    }
  };

  return (
    <Section title="Sign in with a Solana wallet" id="wallet-sign-in">
      <div className="wallet-sign-in">
        {wallet ? (
          <>
            <p className="note">
              {walletName(wallet)} signs a one-time message from this coordinator; no tokens move and no
              transaction is sent. The first sign-in with a wallet opens an account for it.
            </p>
            <WalletFailure error={error} />
            {signedIn ? (
              <p role="status">
                Signed in with {shortAddress(signedIn.address, 6)}
                {signedIn.created ? ': a new account was opened for this wallet.' : '.'}
              </p>
            ) : null}
            <div className="row">
              <button type="button" onClick={() => void onConnect()} disabled={step !== null}>
                {step ? 'Connecting…' : 'Connect wallet'}
              </button>
              {step ? (
                <span className="muted" role="status">
                  {stepWords(step, 'sign-in message')}
                </span>
              ) : null}
            </div>
          </>
        ) : (
          <Note>
            No Solana wallet found in this browser. Install a wallet extension such as Phantom, Solflare or
            Backpack and reload this page, or use an API key.
          </Note>
        )}
      </div>
    </Section>
  );
}
