import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/errors';
import { GraphQLClient } from '../api/graphql-client';
import { CREATE_ACCOUNT, ME, type AccountView } from '../api/operations';
import { ErrorNotice, Field, Section } from '../components/ui';
import { PageHeader, useTitle } from '../components/layout';
import { WalletSignIn } from '../components/wallet-sign-in';
import { normalizeApiKey } from '../lib/session-store';
import { navigate } from '../router';
import { useSession } from '../session';

/**
 * Sign in with an API key (checked against the coordinator before it is kept) or a Solana wallet's
 * signature, or open an account, whose key is shown once to be saved.
 */
export function SignInPage({ next }: { next?: string }) {
  useTitle('Sign in');
  const { signIn, apiKey: current } = useSession();
  const [key, setKey] = useState('');
  const [keyError, setKeyError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<{ apiKey: string; name: string } | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [copied, setCopied] = useState(false);

  const finish = (apiKey: string) => {
    signIn(apiKey);
    navigate(next ?? '/jobs', { replace: true });
  };

  const onSignIn = async (event: FormEvent) => {
    event.preventDefault();
    const apiKey = normalizeApiKey(key);
    if (!apiKey) return setKeyError('Paste the API key you were given when the account was opened.');
    setChecking(true);
    setKeyError(null);
    try {
      await new GraphQLClient({ apiKey }).request<{ me: AccountView }>(ME);
      finish(apiKey);
    } catch (error) {
      setKeyError(
        error instanceof ApiError && error.unauthenticated
          ? 'The coordinator does not know this key: it may be mistyped, revoked or from another coordinator.'
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      setChecking(false);
    }
  };

  const onCreate = async (event: FormEvent) => {
    event.preventDefault();
    setCreating(true);
    setCreateError(null);
    try {
      const data = await new GraphQLClient().request<{
        createAccount: { apiKey: string; account: { name: string } };
      }>(CREATE_ACCOUNT, { name: name.trim() });
      setCreated({ apiKey: data.createAccount.apiKey, name: data.createAccount.account.name });
    } catch (error) {
      setCreateError(error);
    } finally {
      setCreating(false);
    }
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.apiKey);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Sign in"
        subtitle={
          current
            ? 'You are signed in; a different key replaces the current one.'
            : 'Your jobs and money are reached with an API key or a Solana wallet.'
        }
      />
      <div className="columns">
        <Section title="Use an API key" id="sign-in">
          <form onSubmit={onSignIn} noValidate>
            <Field
              id="api-key"
              label="API key"
              error={keyError}
              hint="Kept in this browser only (localStorage)."
            >
              <input
                id="api-key"
                name="apiKey"
                type="password"
                autoComplete="current-password"
                spellCheck={false}
                value={key}
                onChange={(e) => setKey(e.target.value)}
                aria-invalid={keyError ? true : undefined}
                aria-describedby={keyError ? 'api-key-error' : 'api-key-hint'}
              />
            </Field>
            <button type="submit" disabled={checking}>
              {checking ? 'Checking…' : 'Sign in'}
            </button>
          </form>
        </Section>
        <Section title="New here? Open an account" id="create-account">
          {created ? (
            <div className="notice notice-good" role="status">
              <p>
                Account <strong>{created.name}</strong> is open. This is its API key, shown only once: save it
                somewhere safe.
              </p>
              <p>
                <code className="mono key" data-testid="new-api-key">
                  {created.apiKey}
                </code>
              </p>
              <div className="row">
                <button type="button" className="button-secondary" onClick={copy}>
                  {copied ? 'Copied' : 'Copy key'}
                </button>
                <button type="button" onClick={() => finish(created.apiKey)}>
                  Continue
                </button>
              </div>
            </div>
          ) : (
            <form onSubmit={onCreate} noValidate>
              <Field id="account-name" label="Account name" hint="Shown to you only.">
                <input
                  id="account-name"
                  name="name"
                  autoComplete="organization"
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  required
                />
              </Field>
              {createError ? <ErrorNotice error={createError} /> : null}
              <button type="submit" disabled={creating || !name.trim()}>
                {creating ? 'Opening…' : 'Open an account'}
              </button>
            </form>
          )}
        </Section>
      </div>
      <WalletSignIn onSignedIn={finish} />
    </>
  );
}
