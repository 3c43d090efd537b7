import { useEffect, useState } from 'react';
import { ApiError } from '../api/errors';
import { ACTIVE_STATES, JOBS, type JobState, type JobSummary } from '../api/operations';
import { PageHeader, useTitle } from '../components/layout';
import { Badge, Empty, ErrorNotice, Loading, ProgressBar, TableWrap } from '../components/ui';
import { useQuery } from '../hooks/use-query';
import { formatAgo, formatEta, formatTokens, jobTitle } from '../lib/format';
import { Link } from '../router';
import { useSession } from '../session';

const PAGE = 50;

const FILTERS: { label: string; states: JobState[] | null }[] = [
  { label: 'All', states: null },
  { label: 'Active', states: ['QUEUED', 'RUNNING'] },
  { label: 'Completed', states: ['COMPLETED'] },
  { label: 'Failed', states: ['FAILED'] },
  { label: 'Cancelled', states: ['CANCELLED'] },
];

/** Your jobs, newest first, refreshed while any is still running; older ones page in on demand. */
export function JobsPage() {
  useTitle('Jobs');
  const { client } = useSession();
  const [filter, setFilter] = useState(0);
  const states = FILTERS[filter].states;
  const { data, error, loading, reload } = useQuery<{ jobs: JobSummary[] }>(
    JOBS,
    { states, limit: PAGE },
    { pollMs: 5_000 },
  );
  const [older, setOlder] = useState<JobSummary[]>([]);
  const [more, setMore] = useState<{ loading: boolean; done: boolean; error: ApiError | null }>({
    loading: false,
    done: false,
    error: null,
  });

  useEffect(() => {
    setOlder([]);
    setMore({ loading: false, done: false, error: null });
  }, [filter]);

  const first = data?.jobs ?? [];
  const firstIds = new Set(first.map((j) => j.id));
  const jobs = [...first, ...older.filter((j) => !firstIds.has(j.id))];

  const loadMore = async () => {
    const last = jobs.at(-1);
    if (!last) return;
    setMore({ loading: true, done: false, error: null });
    try {
      const page = await client.request<{ jobs: JobSummary[] }>(JOBS, {
        states,
        limit: PAGE,
        before: last.createdAt,
      });
      setOlder((o) => [...o, ...page.jobs]);
      setMore({ loading: false, done: page.jobs.length < PAGE, error: null });
    } catch (e) {
      setMore({ loading: false, done: false, error: e instanceof ApiError ? e : null });
    }
  };

  return (
    <>
      <PageHeader
        title="Jobs"
        subtitle="Your renders, inference batches and container jobs."
        actions={
          <Link to="/submit" className="button">
            Submit a render
          </Link>
        }
      />
      <div className="chips" role="group" aria-label="Filter jobs by state">
        {FILTERS.map((f, i) => (
          <button
            key={f.label}
            type="button"
            className={i === filter ? 'chip active' : 'chip'}
            aria-pressed={i === filter}
            onClick={() => setFilter(i)}
          >
            {f.label}
          </button>
        ))}
      </div>
      {error ? <ErrorNotice error={error} onRetry={reload} /> : null}
      {!data ? (
        loading ? (
          <Loading what="Loading your jobs" />
        ) : null
      ) : jobs.length === 0 ? (
        <Empty title={states ? 'No jobs in this state' : 'No jobs yet'}>
          {states ? null : (
            <>
              <Link to="/submit">Submit a render</Link> from a .blend file, or use the <code>tessera</code>{' '}
              CLI.
            </>
          )}
        </Empty>
      ) : (
        <>
          <div className="section">
            <TableWrap label="Jobs">
              <thead>
                <tr>
                  <th>Job</th>
                  <th>State</th>
                  <th className="wide">Progress</th>
                  <th className="num">Cost</th>
                  <th>Submitted</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((job) => (
                  <tr key={job.id} data-testid="job-row">
                    <td>
                      <Link to={`/jobs/${job.id}`}>{jobTitle(job)}</Link>
                      <div className="muted small">{job.kind}</div>
                    </td>
                    <td>
                      <Badge state={job.state} />
                    </td>
                    <td className="wide">
                      <ProgressBar fraction={job.progress.fraction} label={`Progress of ${jobTitle(job)}`} />
                      <div className="muted small">
                        {job.progress.itemsDone} / {job.progress.itemsTotal} {job.progress.itemUnit}
                        {ACTIVE_STATES.includes(job.state) && job.progress.etaSeconds !== null
                          ? ` · ${formatEta(job.progress.etaSeconds)}`
                          : ''}
                      </div>
                    </td>
                    <td className="num">
                      {formatTokens(job.cost.charged, job.cost.currency)}
                      {Number(job.cost.reserved) > 0 ? (
                        <div className="muted small">cap {formatTokens(job.cost.reserved)}</div>
                      ) : null}
                    </td>
                    <td>{formatAgo(job.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          </div>
          {more.error ? <ErrorNotice error={more.error} /> : null}
          {first.length >= PAGE && !more.done ? (
            <button type="button" className="button-secondary" onClick={loadMore} disabled={more.loading}>
              {more.loading ? 'Loading…' : 'Show older jobs'}
            </button>
          ) : null}
        </>
      )}
    </>
  );
}
