import {
  PROVIDER,
  PROVIDER_EARNINGS,
  PROVIDER_WORK,
  type EarningsView,
  type PayoutView,
  type ProviderDetail,
  type ProviderSummary,
  type ProviderTaskView,
} from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ProvidersTable } from '../components/providers-table';
import { Badge, Empty, ErrorNotice, Loading, Mono, Section, Stat, TableWrap } from '../components/ui';
import { useQuery } from '../hooks/use-query';
import {
  formatAgo,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatPercent,
  formatTokens,
  shortAddress,
} from '../lib/format';
import { providerLabel } from '../lib/market';
import { describeTask, heldFor, ranFor } from '../lib/provider-tasks';
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
        </Section>
      </div>

      <Work providerId={p.id} />

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
 * What the machine is running now and how its last attempts went. Public, as its record: the API
 * says the kind of work and which frames or rows, never whose.
 */
function Work({ providerId }: { providerId: string }) {
  const { data, error } = useQuery<{
    provider: { currentTasks: ProviderTaskView[]; recentAttempts: ProviderTaskView[] };
  }>(PROVIDER_WORK, { id: providerId }, { pollMs: 5_000 });
  if (!data)
    return (
      <Section title="Current tasks" id="current-tasks">
        {error ? <ErrorNotice error={error} /> : <Loading what="Loading its tasks" />}
      </Section>
    );
  const { currentTasks, recentAttempts } = data.provider;
  return (
    <>
      <Section title={`Current tasks (${currentTasks.length})`} id="current-tasks">
        {error ? <ErrorNotice error={error} /> : null}
        {currentTasks.length ? (
          <TableWrap label="Current tasks">
            <thead>
              <tr>
                <th>Task</th>
                <th>Kind</th>
                <th>State</th>
                <th>Leased</th>
                <th className="num">Running for</th>
              </tr>
            </thead>
            <tbody>
              {currentTasks.map((t) => (
                <tr key={t.id} data-testid="current-task">
                  <td>{describeTask(t)}</td>
                  <td>{t.kind}</td>
                  <td>
                    <Badge state={t.state} />
                  </td>
                  <td>{formatAgo(t.leasedAt)}</td>
                  <td className="num">{t.startedAt ? formatDuration(heldFor(t)) : 'starting'}</td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        ) : (
          <Empty title="Idle: no task right now">
            Tasks appear here while the machine holds them; which customer or job they belong to is never
            shown.
          </Empty>
        )}
      </Section>
      <Section title="Recent attempts" id="recent-attempts">
        {recentAttempts.length ? (
          <TableWrap label="Recent attempts">
            <thead>
              <tr>
                <th>Finished</th>
                <th>Task</th>
                <th>Kind</th>
                <th>Outcome</th>
                <th className="num">Ran</th>
              </tr>
            </thead>
            <tbody>
              {recentAttempts.map((t) => (
                <tr key={t.id} data-testid="recent-attempt">
                  <td>{formatAgo(t.finishedAt ?? t.leasedAt)}</td>
                  <td>{describeTask(t)}</td>
                  <td>{t.kind}</td>
                  <td>
                    <Badge state={t.state} />
                    {t.failureCode ? <span className="muted"> {t.failureCode}</span> : null}
                  </td>
                  <td className="num">{formatDuration(ranFor(t))}</td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        ) : (
          <Empty title="No finished attempts yet" />
        )}
      </Section>
    </>
  );
}

/** Earnings and payouts: what the machine earned, and each transfer to its owner's wallet. */
function Earnings({ providerId }: { providerId: string }) {
  const { data, error } = useQuery<{ provider: { earnings: EarningsView; payouts: PayoutView[] } }>(
    PROVIDER_EARNINGS,
    { id: providerId },
    { pollMs: 10_000 },
  );
  return (
    <Section title="Earnings and payouts" id="earnings">
      {error && !data ? (
        <ErrorNotice error={error} />
      ) : !data ? (
        <Loading what="Loading earnings" />
      ) : (
        <>
          {error ? <ErrorNotice error={error} /> : null}
          <div className="stats" aria-label="Earnings">
            <Stat
              label="Pending"
              value={formatTokens(data.provider.earnings.pending, data.provider.earnings.currency)}
              hint="paid once over the minimum"
            />
            <Stat
              label="In flight"
              value={formatTokens(data.provider.earnings.inFlight, data.provider.earnings.currency)}
              hint="sent, not final yet"
            />
            <Stat
              label="Paid"
              value={formatTokens(data.provider.earnings.paid, data.provider.earnings.currency)}
              hint="finalized on chain"
            />
            <Stat
              label="From spot-checks"
              value={formatTokens(data.provider.earnings.fromChecks, data.provider.earnings.currency)}
              hint="earned re-executing others’ work; part of the above"
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
                  <tr key={payout.id} data-testid="payout">
                    <td>{formatDateTime(payout.finishedAt ?? payout.createdAt)}</td>
                    <td className="num">{formatTokens(payout.amount, payout.currency)}</td>
                    <td>
                      <Badge state={payout.state} />
                    </td>
                    <td>
                      {payout.signature && payout.explorerUrl ? (
                        <a
                          href={payout.explorerUrl}
                          target="_blank"
                          rel="noreferrer"
                          title={payout.signature}
                          data-testid="payout-signature"
                        >
                          <Mono>{shortAddress(payout.signature, 8)}</Mono>
                        </a>
                      ) : payout.signature ? (
                        // The local chain has no explorer: the signature itself, in full on hover.
                        <span data-testid="payout-signature" title={payout.signature}>
                          <Mono title={payout.signature}>{shortAddress(payout.signature, 8)}</Mono>
                        </span>
                      ) : (
                        <span className="muted">not signed yet</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          ) : (
            <Empty title="No payouts yet">
              Earnings are sent to the owner’s wallet in batches once they pass the coordinator’s minimum.
            </Empty>
          )}
        </>
      )}
    </Section>
  );
}
