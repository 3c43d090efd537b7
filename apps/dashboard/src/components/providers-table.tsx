import type { ProviderSummary } from '../api/operations';
import { formatAgo, formatBytes, formatPercent } from '../lib/format';
import { providerLabel } from '../lib/market';
import { Link } from '../router';
import { Badge, Mono, TableWrap } from './ui';

/** Providers with their hardware and record; each links to its page. */
export function ProvidersTable({
  providers,
  label,
}: {
  providers: readonly ProviderSummary[];
  label: string;
}) {
  return (
    <TableWrap label={label}>
      <thead>
        <tr>
          <th>Provider</th>
          <th>Status</th>
          <th>GPUs</th>
          <th className="num">CPU</th>
          <th className="num">Memory</th>
          <th>Runs</th>
          <th className="num">Reputation</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => (
          <tr key={p.id}>
            <td>
              <Link to={`/providers/${p.address}`}>{providerLabel(p)}</Link>
              <div className="muted small">
                <Mono title={p.address}>{p.address.slice(0, 8)}…</Mono>
              </div>
            </td>
            <td>{p.banned ? <Badge state="BANNED" /> : <Badge state={p.online ? 'ONLINE' : 'OFFLINE'} />}</td>
            <td>
              {p.gpus.length ? (
                p.gpus.map((g, i) => (
                  <div key={i}>
                    {g.name} <span className="muted">{formatBytes(g.vramBytes)}</span>
                  </div>
                ))
              ) : (
                <span className="muted">CPU only</span>
              )}
            </td>
            <td className="num">{p.cpuCores} cores</td>
            <td className="num">{formatBytes(p.memoryBytes)}</td>
            <td>{p.kinds.join(', ') || '—'}</td>
            <td className="num">{formatPercent(p.record.reputation)}</td>
            <td>{formatAgo(p.lastSeenAt)}</td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}
