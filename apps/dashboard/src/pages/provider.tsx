import { supports } from '../api/capabilities';
import {
  PROVIDER,
  UPCOMING,
  type EarningsView,
  type PayoutView,
  type ProviderDetail,
  type ProviderSummary,
} from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ProvidersTable } from '../components/providers-table';
import { Badge, Empty, ErrorNotice, Loading, Mono, Note, Section, Stat, TableWrap } from '../components/ui';
import { useCapabilities } from '../hooks/use-capabilities';
import { useQuery } from '../hooks/use-query';
import {
  formatAgo,
  formatBytes,
  formatDateTime,
  formatPercent,
  formatTokens,
  shortAddress,
} from '../lib/format';
import { providerLabel } from '../lib/market';
import { Link } from '../router';

/** A provider (one machine) in public view: hardware, spot-check record, work, and its owner's other machines. */
export function ProviderPage({ id }: { id: string }) {
  const { data, error, loading, reload } = useQuery<{
    provider: ProviderDetail;
    providers: ProviderSummary[];
  }>(PROVIDER, { id }, { pollMs: 15_000 });
  useTitle(data ? providerLabel(data.provider) : 'Provider');

  if (!data) {
    return (
      <>
        <PageHeader title="Provider" />
        {error?.notFound ? (
          <Empty title="No such provider">
            <p>
              No provider is known by <code>{id}</code>. Providers are found by id or by their Solana address.
            </p>
            <p>
              <Link to="/providers">All providers</Link>
            </p>
          </Empty>
        ) : error ? (
          <ErrorNotice error={error} onRetry={reload} />
        ) : loading ? (
          <Loading what="Loading the provider" />
        ) : null}
      </>
    );
  }
  const p = data.provider;
  const r = p.record;
  const siblings = data.providers.filter((x) => x.owner === p.owner && x.id !== p.id);

  return (
    <>
      <PageHeader
        title={providerLabel(p)}
        subtitle={
          <>
            {p.banned ? <Badge state="BANNED" /> : <Badge state={p.online ? 'ONLINE' : 'OFFLINE'} />} address{' '}
            <Mono>{p.address}</Mono> · last seen {formatAgo(p.lastSeenAt)}
          </>
        }
      />
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {p.banned && r.banReason ? (
        <div className="notice notice-error" role="alert">
          <p>Banned: {r.banReason}</p>
        </div>
      ) : null}

      <div className="stats" aria-label="Spot-check record">
        <Stat
          label="Reputation"
          value={formatPercent(r.reputation)}
          hint="passes over checks; a failure weighs ten"
        />
        <Stat
          label="Check rate"
          value={formatPercent(r.checkRate)}
          hint="chance its next task is re-executed"
        />
        <Stat label="Checks passed" value={r.checksPassed} hint={`${r.cleanStreak} in a row`} />
        <Stat label="Checks failed" value={r.checksFailed} hint="each withheld pay and slashed bond" />
        <Stat
          label="Attempts"
          value={p.stats.succeeded}
          hint={`succeeded · ${p.stats.failed} failed · ${p.stats.expired} expired`}
        />
      </div>

      <div className="columns">
        <Section title="Machine" id="machine">
          <dl className="facts">
            <dt>GPUs</dt>
            <dd>
              {p.gpus.length
                ? p.gpus.map((g, i) => (
                    <div key={i}>
                      {g.name}, {formatBytes(g.vramBytes)} VRAM{' '}
                      <span className="muted">
                        driver {g.driverVersion}
                        {g.computeCapability ? `, compute ${g.computeCapability}` : ''}
                      </span>
                    </div>
                  ))
                : 'none (CPU work only)'}
            </dd>
            <dt>CPU</dt>
            <dd>{p.cpuCores} cores</dd>
            <dt>Memory</dt>
            <dd>{formatBytes(p.memoryBytes)}</dd>
            <dt>Disk free</dt>
            <dd>{formatBytes(p.diskFreeBytes)}</dd>
            <dt>Slots</dt>
            <dd>
              {p.slots} task{p.slots === 1 ? '' : 's'} at once
            </dd>
            <dt>Runs</dt>
            <dd>{p.kinds.join(', ') || '—'}</dd>
            <dt>Images cached</dt>
            <dd>{p.images.length ? p.images.join(', ') : '—'}</dd>
            <dt>Software</dt>
            <dd>
              agent {p.agentVersion}, Docker {p.dockerVersion}
            </dd>
            <dt>First seen</dt>
            <dd>{formatDateTime(p.firstSeenAt)}</dd>
          </dl>
        </Section>
        <Section title="Owner" id="owner">
          <p>
            Wallet <Mono title={p.owner}>{shortAddress(p.owner, 6)}</Mono>
            {p.owner === p.address ? ' (the machine’s own address)' : ''} is paid for this machine’s work.
          </p>
          <Note>Which tasks it is running right now is not published by the API yet.</Note>
        </Section>
      </div>

      <Section title={`Other machines of this owner (${siblings.length})`} id="siblings">
        {siblings.length ? (
          <ProvidersTable providers={siblings} label="Other machines of this owner" />
        ) : (
          <Empty title="This is the owner's only machine" />
        )}
      </Section>

      <Earnings providerId={p.id} />
    </>
  );
}

/**
 * Earnings and payouts, from the payments part of the API: shown once the coordinator has those
 * fields (see UPCOMING.providerEarnings), a plain note before.
 */
function Earnings({ providerId }: { providerId: string }) {
  const capabilities = useCapabilities();
  const available = supports(capabilities, UPCOMING.providerEarnings.requires);
  const { data, error } = useQuery<{ provider: { earnings: EarningsView; payouts: PayoutView[] } }>(
    UPCOMING.providerEarnings.document,
    { id: providerId },
    { skip: !available, pollMs: 30_000 },
  );
  return (
    <Section title="Earnings and payouts" id="earnings">
      {!available ? (
        <Note>This coordinator does not report earnings and payouts yet; they appear here once it does.</Note>
      ) : error ? (
        <ErrorNotice error={error} />
      ) : !data ? (
        <Loading what="Loading earnings" />
      ) : (
        <>
          <div className="stats">
            <Stat
              label="Pending"
              value={formatTokens(data.provider.earnings.pending, data.provider.earnings.currency)}
              hint="paid once over the minimum"
            />
            <Stat
              label="In flight"
              value={formatTokens(data.provider.earnings.inFlight, data.provider.earnings.currency)}
            />
            <Stat
              label="Paid"
              value={formatTokens(data.provider.earnings.paid, data.provider.earnings.currency)}
              hint="finalized on chain"
            />
          </div>
          {data.provider.payouts.length ? (
            <TableWrap label="Payouts">
              <thead>
                <tr>
                  <th>When</th>
                  <th className="num">Amount</th>
                  <th>State</th>
                  <th>Transaction</th>
                </tr>
              </thead>
              <tbody>
                {data.provider.payouts.map((payout) => (
                  <tr key={payout.id}>
                    <td>{formatDateTime(payout.createdAt)}</td>
                    <td className="num">{formatTokens(payout.amount, payout.currency)}</td>
                    <td>
                      <Badge state={payout.state} />
                    </td>
                    <td>
                      {payout.explorerUrl ? (
                        <a href={payout.explorerUrl} target="_blank" rel="noreferrer">
                          {shortAddress(payout.signature ?? '', 8)}
                        </a>
                      ) : payout.signature ? (
                        <Mono title={payout.signature}>{shortAddress(payout.signature, 8)}</Mono>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          ) : (
            <Empty title="No payouts yet" />
          )}
        </>
      )}
    </Section>
  );
}
