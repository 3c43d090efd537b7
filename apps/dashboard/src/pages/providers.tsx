import { useState } from 'react';
import { PROVIDERS, type ProviderSummary } from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ProvidersTable } from '../components/providers-table';
import { Empty, ErrorNotice, Field, Loading } from '../components/ui';
import { useQuery } from '../hooks/use-query';
import { sortProviders } from '../lib/market';

/** Every provider the coordinator knows, online or not; GPU owners find their machines here. */
export function ProvidersPage() {
  useTitle('Providers');
  const { data, error, loading, reload } = useQuery<{ providers: ProviderSummary[] }>(
    PROVIDERS,
    {},
    { pollMs: 15_000 },
  );
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  const shown = sortProviders(data?.providers ?? []).filter(
    (p) => !needle || [p.name ?? '', p.address, p.owner].some((s) => s.toLowerCase().includes(needle)),
  );
  return (
    <>
      <PageHeader
        title="Providers"
        subtitle="Machines running the provider agent, with their spot-check record."
      />
      <Field id="provider-filter" label="Find a provider" hint="By name, address or owner wallet.">
        <input
          id="provider-filter"
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          autoComplete="off"
        />
      </Field>
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {!data ? (
        loading ? (
          <Loading what="Loading providers" />
        ) : null
      ) : shown.length ? (
        <ProvidersTable providers={shown} label="Providers" />
      ) : (
        <Empty title={needle ? 'No provider matches' : 'No providers yet'}>
          {needle ? null : (
            <>
              GPU owners join with <code>tessera-agent init</code> and <code>tessera-agent start</code>.
            </>
          )}
        </Empty>
      )}
    </>
  );
}
