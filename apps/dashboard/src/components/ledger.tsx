import { useState } from 'react';
import { DEPOSITS, LEDGER_ENTRIES, type DepositView, type LedgerEntryPageView } from '../api/operations';
import { useQuery } from '../hooks/use-query';
import { ledgerAccountLabel, ledgerKindLabel, signedAmount } from '../lib/account-view';
import { formatDateTime, formatTokens, shortAddress, shortId } from '../lib/format';
import { Link } from '../router';
import { Empty, ErrorNotice, Loading, Mono, Section, TableWrap } from './ui';

const PAGE = 20;

/**
 * Every movement of the account's money, newest first, a page at a time: "Older" follows the
 * coordinator's cursor, "Newer" goes back the way it came.
 */
export function LedgerEntries() {
  // The cursors of the pages before this one; the last is this page's own (undefined: the newest).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const { data, error, loading, reload } = useQuery<{ ledgerEntries: LedgerEntryPageView }>(
    LEDGER_ENTRIES,
    { limit: PAGE, ...(before ? { before } : {}) },
    { pollMs: before ? undefined : 15_000 },
  );
  const page = data?.ledgerEntries;
  return (
    <Section
      title="Ledger"
      id="ledger"
      actions={
        cursors.length > 1 || page?.nextCursor ? (
          <div className="row pager">
            <button
              type="button"
              className="button-secondary small"
              disabled={cursors.length <= 1 || loading}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              Newer
            </button>
            <button
              type="button"
              className="button-secondary small"
              disabled={!page?.nextCursor || loading}
              onClick={() => page?.nextCursor && setCursors((c) => [...c, page.nextCursor ?? undefined])}
            >
              Older
            </button>
          </div>
        ) : null
      }
    >
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {!page ? (
        loading ? (
          <Loading what="Loading ledger entries" />
        ) : null
      ) : page.items.length ? (
        <TableWrap label="Ledger entries">
          <thead>
            <tr>
              <th>When</th>
              <th>What</th>
              <th className="num">Amount</th>
              <th>Account</th>
              <th>Job</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((e) => {
              const amount = signedAmount(e.amount, e.currency);
              return (
                <tr key={e.id} data-testid="ledger-row">
                  <td>{formatDateTime(e.createdAt)}</td>
                  <td className="wrap">
                    {ledgerKindLabel(e)}
                    {e.signature ? (
                      <>
                        {' '}
                        <Mono title={e.signature}>{shortAddress(e.signature, 6)}</Mono>
                      </>
                    ) : null}
                  </td>
                  <td className={`num amount-${amount.tone}`}>{amount.text}</td>
                  <td>{ledgerAccountLabel(e.account)}</td>
                  <td>{e.jobId ? <Link to={`/jobs/${e.jobId}`}>{shortId(e.jobId)}</Link> : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </TableWrap>
      ) : (
        <Empty title={cursors.length > 1 ? 'No older entries' : 'No ledger entries yet'}>
          Deposits, job reservations, charges and refunds appear here.
        </Empty>
      )}
    </Section>
  );
}

/** Verified on-chain deposits, newest first, with their transactions. */
export function Deposits() {
  const { data, error, reload } = useQuery<{ deposits: DepositView[] }>(DEPOSITS, {}, { pollMs: 15_000 });
  return (
    <Section title="Deposits" id="deposits">
      {error ? (
        <ErrorNotice error={error} onRetry={reload} />
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
        <Empty title="No deposits yet">Tokens you deposit show up here and in the balance above.</Empty>
      )}
    </Section>
  );
}
