import { ME, type AccountView } from '../api/operations';
import { ApiKeys } from '../components/api-keys';
import { LinkWallet } from '../components/link-wallet';
import { PageHeader, useTitle } from '../components/layout';
import { Deposits, LedgerEntries } from '../components/ledger';
import { ErrorNotice, Loading, Mono, Stat } from '../components/ui';
import { useQuery } from '../hooks/use-query';
import { formatDateTime, formatTokens, shortAddress } from '../lib/format';
import { navigate } from '../router';
import { useSession } from '../session';

/** Your balance, deposits and every ledger entry; your API keys; sign-out. */
export function AccountPage() {
  useTitle('Account');
  const { signOut } = useSession();
  const { data, error, loading, reload } = useQuery<{ me: AccountView }>(ME, {}, { pollMs: 15_000 });
  const me = data?.me;
  return (
    <>
      <PageHeader
        title={me ? me.name : 'Account'}
        subtitle={
          me ? (
            <>
              Account <Mono>{me.id}</Mono> · opened {formatDateTime(me.createdAt)}
              {me.wallet ? (
                <>
                  {' '}
                  · wallet <Mono title={me.wallet}>{shortAddress(me.wallet, 6)}</Mono>
                </>
              ) : null}
            </>
          ) : undefined
        }
        actions={
          <button
            type="button"
            className="button-secondary"
            onClick={async () => {
              await signOut();
              navigate('/sign-in');
            }}
          >
            Sign out
          </button>
        }
      />
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {!me ? (
        loading ? (
          <Loading what="Loading your account" />
        ) : null
      ) : (
        <>
          <div className="stats" aria-label="Balance">
            <Stat
              label="Available"
              value={formatTokens(me.balance.available, me.balance.currency)}
              hint="free to spend on new jobs"
            />
            <Stat
              label="Reserved"
              value={formatTokens(me.balance.reserved, me.balance.currency)}
              hint="price caps of jobs still running, less what was charged"
            />
          </div>
          <LedgerEntries />
          <Deposits />
          <ApiKeys hasWallet={me.wallet !== null} />
          {me.wallet === null ? <LinkWallet onLinked={reload} /> : null}
        </>
      )}
    </>
  );
}
