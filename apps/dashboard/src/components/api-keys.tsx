import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/errors';
import { API_KEYS, CREATE_API_KEY, REVOKE_API_KEY, type ApiKeyView } from '../api/operations';
import { useQuery } from '../hooks/use-query';
import { checkKeyLabel, keyStatus, liveKeyCount, sortKeys } from '../lib/account-view';
import { formatAgo, formatDateTime } from '../lib/format';
import { navigate } from '../router';
import { useSession } from '../session';
import { Badge, Empty, ErrorNotice, Field, Loading, Mono, Section, TableWrap } from './ui';

const STATUS_TONE = { 'in use': 'ONLINE', live: 'RUNNING', revoked: 'CANCELLED' } as const;

/**
 * The account's API keys: which one this browser uses, when each was last used; make another (its
 * secret shown once, with a copy button) or revoke one after a confirmation. The last live key of
 * an account without a wallet cannot be revoked (the coordinator refuses, and the page says why
 * before anyone tries); a wallet signs in again.
 */
export function ApiKeys({ hasWallet }: { hasWallet: boolean }) {
  const { client, signOut } = useSession();
  const { data, error, loading, reload } = useQuery<{ apiKeys: ApiKeyView[] }>(API_KEYS);
  const [label, setLabel] = useState('');
  const [labelError, setLabelError] = useState<string | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<{ apiKey: string; label: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [revokeError, setRevokeError] = useState<unknown>(null);

  const keys = data ? sortKeys(data.apiKeys) : [];
  const live = liveKeyCount(keys);

  const onCreate = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkKeyLabel(label);
    if ('error' in checked) return setLabelError(checked.error);
    setLabelError(null);
    setCreateError(null);
    setCreating(true);
    try {
      const result = await client.request<{ createApiKey: { apiKey: string; key: ApiKeyView } }>(
        CREATE_API_KEY,
        { label: checked.label },
      );
      setMade({ apiKey: result.createApiKey.apiKey, label: result.createApiKey.key.label });
      setCopied(false);
      setLabel('');
      reload();
    } catch (e) {
      if (e instanceof ApiError && e.field === 'label') setLabelError(e.detail);
      else setCreateError(e);
    } finally {
      setCreating(false);
    }
  };

  const onRevoke = async (key: ApiKeyView) => {
    setRevoking(true);
    setRevokeError(null);
    try {
      await client.request(REVOKE_API_KEY, { id: key.id });
      setConfirming(null);
      if (key.current) {
        // This browser's key no longer works: nothing else on the page can load.
        await signOut({ keyRevoked: true });
        navigate('/sign-in');
        return;
      }
      reload();
    } catch (e) {
      setRevokeError(e);
    } finally {
      setRevoking(false);
    }
  };

  const copy = async () => {
    if (!made) return;
    try {
      await navigator.clipboard.writeText(made.apiKey);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <Section title="API keys" id="api-keys">
      <p className="note">
        Scripts and the CLI send a key as <Mono>Authorization: Bearer &lt;key&gt;</Mono>. Revoking a key stops
        it at once.
      </p>
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {!data ? (
        loading ? (
          <Loading what="Loading your API keys" />
        ) : null
      ) : keys.length ? (
        <TableWrap label="API keys">
          <thead>
            <tr>
              <th>Label</th>
              <th>Status</th>
              <th>Key</th>
              <th>Last used</th>
              <th>Created</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => {
              const status = keyStatus(key);
              const last = !hasWallet && !key.revokedAt && live <= 1;
              return (
                <tr key={key.id} data-testid="api-key-row" data-status={status}>
                  <td className="wrap">
                    {key.label}
                    {key.session && !key.revokedAt ? (
                      <div className="muted small">ends when you sign out</div>
                    ) : null}
                  </td>
                  <td>
                    <Badge state={STATUS_TONE[status]} label={status} />
                  </td>
                  <td>
                    <Mono>{key.prefix}…</Mono>
                  </td>
                  <td>{key.lastUsedAt ? formatAgo(key.lastUsedAt) : 'never'}</td>
                  <td>{formatDateTime(key.createdAt)}</td>
                  <td>
                    {key.revokedAt ? (
                      <span className="muted">{formatDateTime(key.revokedAt)}</span>
                    ) : confirming === key.id ? (
                      <div className="confirm" role="group" aria-label={`Revoke ${key.label}?`}>
                        <span>
                          {key.current ? 'This browser uses this key: you will be signed out. ' : ''}
                          Revoke it?
                        </span>
                        <button
                          type="button"
                          className="button-danger small"
                          disabled={revoking}
                          onClick={() => void onRevoke(key)}
                        >
                          {revoking ? 'Revoking…' : 'Yes, revoke'}
                        </button>
                        <button
                          type="button"
                          className="button-secondary small"
                          disabled={revoking}
                          onClick={() => setConfirming(null)}
                        >
                          Keep it
                        </button>
                      </div>
                    ) : (
                      <button
                        type="button"
                        className="button-danger-outline small"
                        disabled={last}
                        title={
                          last ? 'The last live key cannot be revoked: make another one first.' : undefined
                        }
                        aria-label={`Revoke ${key.label}`}
                        onClick={() => {
                          setRevokeError(null);
                          setConfirming(key.id);
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : (
        <Empty title="No API keys">Make one below to use the API from scripts.</Empty>
      )}
      {data && live <= 1 && !hasWallet ? (
        <p className="note">The last live key cannot be revoked; make another one first.</p>
      ) : null}
      {revokeError ? <ErrorNotice error={revokeError} /> : null}

      {made ? (
        <div className="notice notice-good" role="status">
          <p>
            Key <strong>{made.label}</strong> is ready. This is its secret, shown only once: save it somewhere
            safe.
          </p>
          <p>
            <code className="mono key" data-testid="created-api-key">
              {made.apiKey}
            </code>
          </p>
          <div className="row">
            <button type="button" className="button-secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy key'}
            </button>
            <button type="button" onClick={() => setMade(null)}>
              I saved it
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={onCreate} noValidate className="inline-form">
          <Field
            id="key-label"
            label="New key label"
            error={labelError}
            hint='What it is for, e.g. "laptop" or "CI".'
          >
            <input
              id="key-label"
              name="label"
              maxLength={200}
              value={label}
              onChange={(e) => setLabel(e.target.value)}
              aria-invalid={labelError ? true : undefined}
              aria-describedby={labelError ? 'key-label-error' : 'key-label-hint'}
            />
          </Field>
          {createError ? <ErrorNotice error={createError} /> : null}
          <button type="submit" disabled={creating}>
            {creating ? 'Creating…' : 'Create key'}
          </button>
        </form>
      )}
    </Section>
  );
}
