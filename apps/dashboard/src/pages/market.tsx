import {
  MARKET,
  type MarketPricesView,
  type MarketStatsView,
  type ProviderSummary,
  type QueueDepthView,
} from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { ProvidersTable } from '../components/providers-table';
import { Empty, ErrorNotice, Loading, Section, Stat, TableWrap } from '../components/ui';
import { formatDuration, formatTokens } from '../lib/format';
import {
  gpuSupply,
  marketTotals,
  sortProviders,
  tasksFinished,
  throughputRows,
  windowLabel,
} from '../lib/market';
import { singular } from '../lib/provider-tasks';
import { useQuery } from '../hooks/use-query';

interface MarketData {
  providers: ProviderSummary[];
  queueDepth: QueueDepthView[];
  marketPrices: MarketPricesView;
  marketStats: MarketStatsView;
}

/** The window throughput and recent prices are taken over. */
const WINDOW_MINUTES = 60;

/** The public market: who is online with what hardware, what is waiting, and what work costs. */
export function MarketPage() {
  useTitle('Market');
  const { data, error, loading, reload } = useQuery<MarketData>(
    MARKET,
    { windowMinutes: WINDOW_MINUTES },
    { pollMs: 10_000 },
  );

  if (!data) {
    return (
      <>
        <PageHeader title="Market" />
        {error ? (
          <ErrorNotice error={error} onRetry={reload} />
        ) : loading ? (
          <Loading what="Loading the market" />
        ) : null}
      </>
    );
  }
  const totals = marketTotals(data.providers, data.queueDepth);
  const supply = gpuSupply(data.providers);
  const prices = data.marketPrices;
  const online = sortProviders(data.providers).filter((p) => p.online);

  return (
    <>
      <PageHeader
        title="Market"
        subtitle="Live supply and demand on this coordinator; refreshed every 10 s."
      />
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      <div className="stats" aria-label="Market totals">
        <Stat label="Providers online" value={totals.online} hint={`of ${totals.total} known`} />
        <Stat
          label="GPUs online"
          value={totals.gpusOnline}
          hint={
            totals.cpuOnlyOnline
              ? `+ ${totals.cpuOnlyOnline} CPU-only machine${totals.cpuOnlyOnline === 1 ? '' : 's'}`
              : undefined
          }
        />
        <Stat label="Task slots online" value={totals.slotsOnline} hint={`${totals.coresOnline} CPU cores`} />
        <Stat label="Tasks queued" value={totals.queued} hint={`${totals.running} running`} />
        <Stat
          label="Tasks finished"
          value={tasksFinished(data.marketStats)}
          hint={`in ${windowLabel(data.marketStats.windowMinutes)}`}
        />
        <Stat label="Attempts succeeded" value={totals.attemptsSucceeded} hint="all time, all providers" />
      </div>

      <Throughput stats={data.marketStats} />

      <div className="columns">
        <Section title="GPU supply" id="gpu-supply">
          {supply.length ? (
            <TableWrap label="GPU supply by model and VRAM">
              <thead>
                <tr>
                  <th>Model</th>
                  <th className="num">VRAM</th>
                  <th className="num">GPUs</th>
                  <th className="num">Machines</th>
                </tr>
              </thead>
              <tbody>
                {supply.map((row) => (
                  <tr key={`${row.model}-${row.vramGiB}`}>
                    <td>{row.model}</td>
                    <td className="num">{row.vramGiB} GiB</td>
                    <td className="num">{row.gpus}</td>
                    <td className="num">{row.machines}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          ) : (
            <Empty title="No GPUs online">
              {totals.online
                ? `${totals.online} CPU-only provider${totals.online === 1 ? ' is' : 's are'} online: CPU renders and inference still run.`
                : 'When GPU owners start the provider agent, their cards appear here.'}
            </Empty>
          )}
        </Section>

        <Section title="Queue by kind" id="queue">
          {data.queueDepth.length ? (
            <TableWrap label="Queue depth by job kind">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th className="num">Queued</th>
                  <th className="num">Running</th>
                </tr>
              </thead>
              <tbody>
                {data.queueDepth.map((q) => (
                  <tr key={q.kind}>
                    <td>{q.kind}</td>
                    <td className="num">{q.queued}</td>
                    <td className="num">{q.running}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          ) : (
            <Empty title="Nothing waiting">Every task submitted so far has been picked up.</Empty>
          )}
        </Section>

        <Section title="Prices" id="prices">
          <dl className="facts">
            <dt>Render</dt>
            <dd>
              {formatTokens(prices.renderPerMegapixelSample, prices.currency)} per megapixel per Cycles sample
              <span className="muted">
                {' '}
                (a 1920×1080 frame at 128 samples:{' '}
                {formatTokens(prices.renderPerMegapixelSample * 2.0736 * 128, prices.currency)})
              </span>
            </dd>
            <dt>Inference</dt>
            <dd>{formatTokens(prices.inferencePerCpuSecond, prices.currency)} per CPU-second</dd>
          </dl>
        </Section>
      </div>

      <Section title={`Providers online (${online.length})`} id="providers-online">
        {online.length ? (
          <ProvidersTable providers={online} label="Providers online" />
        ) : (
          <Empty title="No providers online">
            Jobs wait in the queue until a provider connects. GPU owners start one with{' '}
            <code>tessera-agent start</code>.
          </Empty>
        )}
      </Section>
    </>
  );
}

/** Work accepted in the window by kind (after its spot-checks), how fast, and what it cost per item. */
function Throughput({ stats }: { stats: MarketStatsView }) {
  const rows = throughputRows(stats);
  return (
    <Section title={`Throughput and prices, ${windowLabel(stats.windowMinutes)}`} id="throughput">
      {rows.length ? (
        <TableWrap label="Throughput and prices by job kind">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Done</th>
              <th className="num" title="items per minute from the first task’s start to the last result">
                Rate while busy
              </th>
              <th className="num">Average task</th>
              <th className="num">Median price</th>
              <th className="num">Last price</th>
              <th className="num">Paid</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.kind} data-testid={`throughput-${row.kind}`}>
                <td>{row.kind}</td>
                <td>{row.done}</td>
                <td className="num">{row.rate}</td>
                <td className="num">
                  {row.averageTaskSeconds === null ? '—' : formatDuration(row.averageTaskSeconds * 1000)}
                </td>
                <td className="num">
                  {row.medianPricePerItem === null ? (
                    <span className="muted">unpriced</span>
                  ) : (
                    <>
                      {formatTokens(row.medianPricePerItem, stats.currency)}{' '}
                      <span className="muted">per {singular(row.itemUnit)}</span>
                    </>
                  )}
                </td>
                <td className="num">
                  {row.lastPricePerItem === null ? (
                    '—'
                  ) : (
                    <>
                      {formatTokens(row.lastPricePerItem, stats.currency)}{' '}
                      <span className="muted">per {singular(row.itemUnit)}</span>
                    </>
                  )}
                </td>
                <td className="num">{formatTokens(row.volume, stats.currency)}</td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      ) : (
        <Empty title={`No work finished in ${windowLabel(stats.windowMinutes)}`}>
          Finished tasks count here once accepted (after any spot-check), with the price paid for them.
        </Empty>
      )}
    </Section>
  );
}
