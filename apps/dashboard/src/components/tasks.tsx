import type { AttemptView, TaskView, VerificationView } from '../api/operations';
import { between, formatAgo, formatDateTime, formatDuration, shortId } from '../lib/format';
import { checkSummary, taskItemsLabel } from '../lib/job-view';
import { providerLabel } from '../lib/market';
import { Link } from '../router';
import { Badge, Mono, TableWrap } from './ui';

/** Each task of a job, openable for its attempts (who ran it, timings, logs) and spot-checks. */
export function TaskList({
  tasks,
  providerNames,
}: {
  tasks: TaskView[];
  providerNames: Map<string, string>;
}) {
  return (
    <ul className="tasks" aria-label="Tasks">
      {tasks.map((task) => {
        const last = task.attempts.at(-1);
        const items = taskItemsLabel(task);
        return (
          <li key={task.id} data-testid={`task-${task.role}-${task.index}`}>
            <details>
              <summary>
                <span className="task-name">
                  {task.role === 'check' ? 'Check of task' : 'Task'} {task.index}
                </span>
                {items ? (
                  <span className="task-items small" data-testid="task-items">
                    {task.role === 'check' ? `samples ${items}` : items}
                  </span>
                ) : null}
                <Badge state={task.state} />
                <span className="muted small">
                  {task.attempts.length} attempt{task.attempts.length === 1 ? '' : 's'}
                  {last ? ` · ${providerLabel(last.provider)}` : ''}
                  {last?.durationMs ? ` · ${formatDuration(last.durationMs)}` : ''}
                </span>
                <span className="task-check small">spot-check: {checkSummary(task)}</span>
              </summary>
              <div className="task-body">
                {task.error ? (
                  <p className="notice notice-error">
                    {task.error.code}: {task.error.message}
                  </p>
                ) : null}
                <h4>Attempts</h4>
                {task.attempts.length ? (
                  <Attempts attempts={task.attempts} />
                ) : (
                  <p className="muted">Waiting for a provider with a free slot.</p>
                )}
                {task.role === 'work' ? (
                  <>
                    <h4>Spot-checks</h4>
                    {task.verifications.length ? (
                      task.verifications.map((v) => (
                        <Verification key={v.id} v={v} providerNames={providerNames} />
                      ))
                    ) : (
                      <p className="muted">
                        {task.state === 'ACCEPTED'
                          ? 'Not sampled: this result was accepted without a re-execution.'
                          : 'Decided when the provider commits to its result.'}
                      </p>
                    )}
                  </>
                ) : null}
              </div>
            </details>
          </li>
        );
      })}
    </ul>
  );
}

function Attempts({ attempts }: { attempts: AttemptView[] }) {
  return (
    <>
      <TableWrap label="Attempts">
        <thead>
          <tr>
            <th>#</th>
            <th>Provider</th>
            <th>State</th>
            <th>Leased</th>
            <th className="num">Wait</th>
            <th className="num">Ran</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={a.id}>
              <td>{a.number}</td>
              <td>
                <Link to={`/providers/${a.provider.address}`}>{providerLabel(a.provider)}</Link>
              </td>
              <td>
                <Badge state={a.state} />
              </td>
              <td title={formatDateTime(a.leasedAt)}>{formatAgo(a.leasedAt)}</td>
              <td className="num">{formatDuration(between(a.leasedAt, a.startedAt))}</td>
              <td className="num">{formatDuration(a.durationMs ?? between(a.startedAt, a.finishedAt))}</td>
              <td className="wrap">
                {a.failureCode ? (
                  <span>
                    {a.failureCode}
                    {a.failureMessage ? `: ${a.failureMessage}` : ''}
                  </span>
                ) : a.exitCode !== null ? (
                  `exit ${a.exitCode}`
                ) : (
                  '—'
                )}
                {a.commitment ? (
                  <div className="muted small">
                    committed {a.commitment.items} item{a.commitment.items === 1 ? '' : 's'}, root{' '}
                    <Mono title={a.commitment.root}>{shortId(a.commitment.root, 12)}</Mono>
                  </div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </TableWrap>
      {attempts.map((a) =>
        a.logTail ? (
          <details key={a.id} className="log">
            <summary>Log of attempt {a.number}</summary>
            <pre>{a.logTail}</pre>
          </details>
        ) : null,
      )}
    </>
  );
}

function Verification({ v, providerNames }: { v: VerificationView; providerNames: Map<string, string> }) {
  return (
    <div className="verification" data-testid="verification">
      <p>
        <Badge state={v.state} /> {v.samples.length} sample{v.samples.length === 1 ? '' : 's'}{' '}
        <span className="muted">({sampleSummary(v.samples)})</span>
        {v.reason ? <span> — {v.reason}</span> : null}
      </p>
      {v.rounds.map((r) => (
        <div key={r.round} className="round">
          <p className="small">
            Round {r.round} ({r.purpose}) re-executed by{' '}
            {r.verifierProviderId
              ? (providerNames.get(r.verifierProviderId) ?? shortId(r.verifierProviderId))
              : 'nobody yet'}
            : {r.verdict ?? 'running'}
            {r.reason ? ` — ${r.reason}` : ''}
          </p>
          {r.comparisons.length ? (
            <TableWrap label={`Comparisons of round ${r.round}`}>
              <thead>
                <tr>
                  <th>Sample</th>
                  <th>Verdict</th>
                  <th className="num">PSNR</th>
                  <th className="num">SSIM</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {r.comparisons.map((c) => (
                  <tr key={c.key}>
                    <td>{c.key}</td>
                    <td>{c.verdict}</td>
                    <td className="num">
                      {c.identical ? 'identical' : c.psnrDb !== null ? `${c.psnrDb.toFixed(1)} dB` : '—'}
                    </td>
                    <td className="num">{c.ssim !== null ? c.ssim.toFixed(4) : '—'}</td>
                    <td className="small wrap">{c.reason}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          ) : null}
        </div>
      ))}
    </div>
  );
}

/** "frame-1 ×3, frame-2 ×2": regions of the same frame counted together. */
function sampleSummary(samples: { key: string }[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) counts.set(s.key, (counts.get(s.key) ?? 0) + 1);
  return [...counts].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key)).join(', ');
}
