import { supports } from '../api/capabilities';
import { ME, UPCOMING, type AccountView, type DepositView } from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { Empty, ErrorNotice, Loading, Mono, Note, Section, Stat, TableWrap } from '../components/ui';
import { useCapabilities } from '../hooks/use-capabilities';
import { useQuery } from '../hooks/use-query';
import { formatDateTime, formatTokens, shortAddress } from '../lib/format';
import { maskApiKey } from '../lib/session-store';
import { navigate } from '../router';
import { useSession } from '../session';

/** Your balance and what the API offers about your money today; the key in use and sign-out. */
export function AccountPage() {
  useTitle('Account');
  const { apiKey, signOut } = useSession();
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
            </>
          ) : undefined
        }
        actions={
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              signOut();
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
          <Deposits />
          <Section title="API key" id="api-key">
            <p>
              Signed in with <Mono>{apiKey ? maskApiKey(apiKey) : '—'}</Mono>, kept in this browser only.
            </p>
            <Note>
              Listing, creating and revoking keys, and the ledger of every entry, are not offered by the API
              yet.
            </Note>
          </Section>
        </>
      )}
    </>
  );
}

/** Deposits, once the coordinator's API has them (see UPCOMING.deposits). */
function Deposits() {
  const capabilities = useCapabilities();
  const available = supports(capabilities, UPCOMING.deposits.requires);
  const { data, error } = useQuery<{ deposits: DepositView[] }>(
    UPCOMING.deposits.document,
    {},
    { skip: !available },
  );
  return (
    <Section title="Deposits" id="deposits">
      {!available ? (
        <Note>
          This coordinator does not list deposits through its API yet. Tokens you deposit show up in the
          balance above.
        </Note>
      ) : error ? (
        <ErrorNotice error={error} />
      ) : !data ? (
        <Loading what="Loading deposits" />
      ) : data.deposits.length ? (
        <TableWrap label="Deposits">
          <thead>
            <tr>
              <th>When</th>
              <th className="num">Amount</th>
              <th>From</th>
              <th>Transaction</th>
            </tr>
          </thead>
          <tbody>
            {data.deposits.map((d) => (
              <tr key={d.id}>
                <td>{formatDateTime(d.createdAt)}</td>
                <td className="num">{formatTokens(d.amount, d.currency)}</td>
                <td>
                  <Mono title={d.wallet}>{shortAddress(d.wallet, 6)}</Mono>
                </td>
                <td>
                  {d.explorerUrl ? (
                    <a href={d.explorerUrl} target="_blank" rel="noreferrer">
                      {shortAddress(d.signature, 8)}
                    </a>
                  ) : (
                    <Mono title={d.signature}>{shortAddress(d.signature, 8)}</Mono>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : (
        <Empty title="No deposits yet" />
      )}
    </Section>
  );
}
