import { useEffect, useMemo, useState } from 'react';
import { ApiError, isAbort, networkError } from '../api/errors';
import { fetchBlob, saveBlob } from '../api/blobs';
import { subscribe } from '../api/live';
import {
  ACTIVE_STATES,
  CANCEL_JOB,
  JOB,
  JOB_EVENTS,
  type FileView,
  type FrameView,
  type JobEventView,
  type JobSummary,
  type JobWithTasks,
} from '../api/operations';
import { FrameGrid, FrameViewer } from '../components/frames';
import { PageHeader, useTitle } from '../components/layout';
import { TaskList } from '../components/tasks';
import {
  Badge,
  Empty,
  ErrorNotice,
  Loading,
  Note,
  ProgressBar,
  Section,
  Stat,
  TableWrap,
} from '../components/ui';
import { formatBytes, formatDateTime, formatEta, formatTokens, jobTitle, shortId } from '../lib/format';
import {
  applyJobEvent,
  archiveName,
  frameCells,
  outputSummary,
  parseOutputRows,
  previewShard,
  type OutputRowView,
} from '../lib/job-view';
import { providerLabel } from '../lib/market';
import { Link } from '../router';
import { useSession } from '../session';

type Live = 'connecting' | 'live' | 'error';

/**
 * One job, live: the jobEvents subscription pushes every change (its first event is the current
 * state), so frames appear as they are accepted and tasks move through their states without a reload.
 */
export function JobPage({ id }: { id: string }) {
  const { client, live } = useSession();
  const [job, setJob] = useState<JobWithTasks | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [liveState, setLiveState] = useState<Live>('connecting');
  const [liveError, setLiveError] = useState<ApiError | null>(null);
  const [open, setOpen] = useState<FrameView | null>(null);
  useTitle(job ? jobTitle(job) : 'Job');

  useEffect(() => {
    const controller = new AbortController();
    let stop: (() => void) | null = null;
    client
      .request<{ job: JobWithTasks }>(JOB, { id }, controller.signal)
      .then((data) => {
        setJob(data.job);
        // Subscribe only to a job that is ours: a foreign id has already said "not found".
        stop = subscribe<{ jobEvents: JobEventView }>(
          live(),
          JOB_EVENTS,
          { jobId: id },
          {
            next: (event) => {
              setLiveState('live');
              setLiveError(null);
              setJob((current) => applyJobEvent(current, event.jobEvents));
            },
            error: (e) => {
              setLiveState('error');
              setLiveError(e);
            },
          },
        );
      })
      .catch((e: unknown) => {
        if (!isAbort(e)) setError(e instanceof ApiError ? e : networkError(e));
      });
    return () => {
      controller.abort();
      stop?.();
    };
  }, [client, live, id]);

  if (error) {
    return (
      <>
        <PageHeader title="Job" />
        {error.notFound ? (
          <Empty title="No such job in your account">
            <p>
              There is no job <code>{id}</code> that you can see. Jobs are visible only to the account that
              submitted them: check the link, or whether you are signed in with the right key.
            </p>
            <p>
              <Link to="/jobs">Back to your jobs</Link>
            </p>
          </Empty>
        ) : (
          <ErrorNotice error={error} />
        )}
      </>
    );
  }
  if (!job) return <Loading what="Loading the job" />;
  return (
    <JobView
      job={job}
      liveState={liveState}
      liveError={liveError}
      onChange={(summary) => setJob((j) => (j ? { ...j, ...summary } : j))}
      open={open}
      setOpen={setOpen}
    />
  );
}

function JobView({
  job,
  liveState,
  liveError,
  onChange,
  open,
  setOpen,
}: {
  job: JobWithTasks;
  liveState: Live;
  liveError: ApiError | null;
  onChange: (summary: JobSummary) => void;
  open: FrameView | null;
  setOpen: (frame: FrameView | null) => void;
}) {
  const active = ACTIVE_STATES.includes(job.state);
  const cells = useMemo(() => frameCells(job), [job]);
  const providerNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const t of job.tasks) for (const a of t.attempts) names.set(a.providerId, providerLabel(a.provider));
    return names;
  }, [job.tasks]);
  const p = job.progress;
  const workTasks = job.tasks.filter((t) => t.role === 'work');

  return (
    <>
      <PageHeader
        title={jobTitle(job)}
        subtitle={
          <>
            <Badge state={job.state} /> {job.kind} job <code title={job.id}>{shortId(job.id)}</code> ·
            submitted {formatDateTime(job.createdAt)}
            {job.finishedAt ? ` · ended ${formatDateTime(job.finishedAt)}` : ''}{' '}
            <LiveIndicator state={active ? liveState : null} />
          </>
        }
        actions={
          <>
            {job.archiveUrl ? (
              <DownloadButton path={job.archiveUrl} name={archiveName(job)} label="Download all (.zip)" />
            ) : null}
            {job.outputsUrl ? (
              <DownloadButton
                path={job.outputsUrl}
                name={`${archiveName(job).replace(/\.zip$/, '')}.jsonl`}
                label="Download rows (.jsonl)"
              />
            ) : null}
            {active ? <CancelButton jobId={job.id} onCancelled={onChange} /> : null}
          </>
        }
      />
      {liveError && active ? <ErrorNotice error={liveError} /> : null}
      {job.error ? (
        <div className="notice notice-error" role="alert">
          <p>
            {job.error.code}: {job.error.message}
          </p>
        </div>
      ) : null}

      <div className="stats" aria-label="Job totals">
        <div className="stat stat-wide">
          <div className="stat-label">Progress</div>
          <ProgressBar fraction={p.fraction} label="Job progress" />
          <div className="stat-hint" data-testid="job-progress">
            {p.itemsDone} of {p.itemsTotal} {p.itemUnit} done
            {active && p.etaSeconds !== null ? ` · ${formatEta(p.etaSeconds)}` : ''}
          </div>
        </div>
        <Stat
          label="Cost"
          value={formatTokens(job.cost.charged, job.cost.currency)}
          hint={
            Number(job.cost.refunded) > 0
              ? `cap ${formatTokens(job.cost.reserved)} · ${formatTokens(job.cost.refunded)} refunded`
              : Number(job.cost.reserved) > 0
                ? `of a ${formatTokens(job.cost.reserved, job.cost.currency)} cap`
                : 'no cap'
          }
        />
        <Stat
          label="Spot-checks"
          value={`${job.checks.passed} passed`}
          hint={`${job.checks.failed} failed · ${job.checks.pending} pending${job.checks.unresolved ? ` · ${job.checks.unresolved} unresolved` : ''}`}
        />
        <Stat label="Tasks" value={`${p.tasksDone} / ${p.tasksTotal}`} hint="accepted / in all" />
      </div>

      {job.kind === 'render' ? (
        <Section title={`Frames (${job.frames.length} of ${cells.length})`} id="frames">
          {cells.length ? <FrameGrid cells={cells} onOpen={setOpen} /> : <Empty title="No frames yet" />}
          {job.frames.length === 0 && active ? (
            <Note>Thumbnails appear here as each chunk of frames is accepted.</Note>
          ) : null}
        </Section>
      ) : job.kind === 'inference' ? (
        <Section title="Rows" id="rows">
          <p data-testid="rows-done">
            {p.itemsDone} of {p.itemsTotal} rows done.
            {job.outputsUrl
              ? ' Download them above, one JSON line per row in input order.'
              : ' The outputs download once every shard is done.'}
          </p>
          <RowsPreview job={job} />
        </Section>
      ) : null}

      {job.kind !== 'render' && job.outputs.length ? (
        <Section title="Outputs" id="outputs">
          <OutputList files={job.outputs} />
        </Section>
      ) : null}

      <Section
        title={`Tasks (${workTasks.length}${job.tasks.length > workTasks.length ? ` + ${job.tasks.length - workTasks.length} checks` : ''})`}
        id="tasks"
      >
        {job.tasks.length ? (
          <TaskList tasks={job.tasks} providerNames={providerNames} />
        ) : (
          <Empty title="No tasks" />
        )}
      </Section>

      <Section title="Parameters" id="params">
        <details>
          <summary>As the coordinator validated them, with defaults filled in</summary>
          <pre className="params">{JSON.stringify(job.params, null, 2)}</pre>
        </details>
      </Section>

      {open ? (
        <FrameViewer frames={job.frames} current={open} onClose={() => setOpen(null)} onMove={setOpen} />
      ) : null}
    </>
  );
}

const PREVIEW_ROWS = 10;
/** Enough of a shard's outputs for the preview's rows, however long the shard. */
const PREVIEW_BYTES = 256 * 1024;

type Preview =
  | { state: 'loading' }
  | { state: 'ready'; index: number; rows: OutputRowView[] }
  | { state: 'error'; error: ApiError };

/**
 * The first output rows of the batch, from the first accepted shard (outputs become readable when a
 * shard is accepted, so it shows before the whole batch is done).
 */
function RowsPreview({ job }: { job: JobWithTasks }) {
  const { apiKey } = useSession();
  const shard = previewShard(job);
  const sha256 = shard?.sha256 ?? null;
  const index = shard?.index ?? 0;
  const [preview, setPreview] = useState<Preview>({ state: 'loading' });

  useEffect(() => {
    if (!sha256) return;
    const controller = new AbortController();
    setPreview({ state: 'loading' });
    fetchBlob(`/v1/blobs/${sha256}`, apiKey, { signal: controller.signal })
      .then((blob) => blob.slice(0, PREVIEW_BYTES).text())
      .then((text) => setPreview({ state: 'ready', index, rows: parseOutputRows(text, PREVIEW_ROWS) }))
      .catch((e: unknown) => {
        if (!isAbort(e)) setPreview({ state: 'error', error: e instanceof ApiError ? e : networkError(e) });
      });
    return () => controller.abort();
  }, [sha256, index, apiKey]);

  if (!sha256) {
    return ACTIVE_STATES.includes(job.state) ? (
      <Note>The first output rows appear here when a shard is accepted.</Note>
    ) : null;
  }
  if (preview.state === 'loading') return <Loading what="Loading the first output rows" />;
  if (preview.state === 'error') return <ErrorNotice error={preview.error} />;
  return (
    <>
      <h3 className="small">
        First outputs
        {preview.index > 0 ? ` (shard ${preview.index}; earlier shards are not accepted yet)` : ''}
      </h3>
      <div className="rows-preview" data-testid="rows-preview">
        <TableWrap label="First output rows">
          <thead>
            <tr>
              <th className="num">Row</th>
              <th>Id</th>
              <th>Outputs</th>
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((r, i) => (
              <tr key={r.row ?? `line-${i}`}>
                <td className="num">{r.row ?? '—'}</td>
                <td>{r.id ?? '—'}</td>
                <td className="output wrap">
                  {r.error ? <span className="field-error">{r.error}</span> : outputSummary(r.outputs)}
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      </div>
    </>
  );
}

function LiveIndicator({ state }: { state: Live | null }) {
  if (!state) return null;
  const text = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'updates paused';
  return (
    <span className={`live live-${state}`} role="status">
      ● {text}
    </span>
  );
}

function OutputList({ files }: { files: FileView[] }) {
  return (
    <TableWrap label="Outputs">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Size</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.path}>
            <td>{f.path}</td>
            <td className="num">{formatBytes(f.size)}</td>
            <td>
              <DownloadButton
                path={`/v1/blobs/${f.sha256}`}
                name={f.path.split('/').pop() ?? f.path}
                label="Download"
                small
              />
            </td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  );
}

/** Downloads need the API key, so the file is fetched here and handed to the browser as an object URL. */
function DownloadButton({
  path,
  name,
  label,
  small,
}: {
  path: string;
  name: string;
  label: string;
  small?: boolean;
}) {
  const { apiKey } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      saveBlob(await fetchBlob(path, apiKey), name);
    } catch (e) {
      setError(e instanceof ApiError ? e : networkError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="download">
      <button
        type="button"
        className={small ? 'button-secondary small' : 'button-secondary'}
        onClick={download}
        disabled={busy}
      >
        {busy ? 'Preparing…' : label}
      </button>
      {error ? (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      ) : null}
    </span>
  );
}

/** Two steps, so a stray tap does not stop a render. */
function CancelButton({ jobId, onCancelled }: { jobId: string; onCancelled: (job: JobSummary) => void }) {
  const { client } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await client.request<{ cancelJob: JobSummary }>(CANCEL_JOB, { id: jobId });
      onCancelled(data.cancelJob);
      setConfirming(false);
    } catch (e) {
      setError(e instanceof ApiError ? e : networkError(e));
    } finally {
      setBusy(false);
    }
  };
  if (!confirming)
    return (
      <button type="button" className="button-danger-outline" onClick={() => setConfirming(true)}>
        Cancel job
      </button>
    );
  return (
    <span className="confirm">
      <span className="small">Stop it? Running tasks are killed; unused escrow is refunded.</span>
      <button type="button" className="button-danger" onClick={cancel} disabled={busy}>
        {busy ? 'Cancelling…' : 'Yes, cancel the job'}
      </button>
      <button type="button" className="button-secondary" onClick={() => setConfirming(false)} disabled={busy}>
        Keep it
      </button>
      {error ? (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      ) : null}
    </span>
  );
}
