import type { ReactNode } from 'react';
import { ApiError } from '../api/errors';
import { Link } from '../router';
import { formatPercent } from '../lib/format';

export function Section({
  title,
  actions,
  children,
  id,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section className="section" aria-labelledby={headingId} id={id}>
      <div className="section-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="section-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

const STATE_TONE: Record<string, string> = {
  QUEUED: 'neutral',
  LEASED: 'info',
  RUNNING: 'info',
  SUBMITTED: 'info',
  VERIFYING: 'info',
  PROVING: 'info',
  CHECKING: 'info',
  COMPLETED: 'good',
  ACCEPTED: 'good',
  SUCCEEDED: 'good',
  PASSED: 'good',
  PAID: 'good',
  FAILED: 'bad',
  REJECTED: 'bad',
  EXPIRED: 'warn',
  UNRESOLVED: 'warn',
  CANCELLED: 'muted',
  ONLINE: 'good',
  OFFLINE: 'muted',
  BANNED: 'bad',
};

/** A state word in a colour that says how it went; the word itself always carries the meaning. */
export function Badge({ state, label }: { state: string; label?: string }) {
  const tone = STATE_TONE[state.toUpperCase()] ?? 'neutral';
  return <span className={`badge badge-${tone}`}>{label ?? state.toLowerCase()}</span>;
}

export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const value = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span className="progress-text">{formatPercent(fraction)}</span>
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status">
      {what}…
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}

/** An error as the coordinator worded it, with what the user can do about it. */
export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const apiError = error instanceof ApiError ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="notice notice-error" role="alert">
      <p>{message}</p>
      {apiError?.unauthenticated ? (
        <p>
          <Link to="/sign-in">Sign in again</Link> with a valid API key.
        </p>
      ) : onRetry ? (
        <button type="button" className="button-secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Note({ children }: { children: ReactNode }) {
  return <p className="note">{children}</p>;
}

export function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | null;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A table that scrolls sideways on a phone instead of squeezing its columns. */
export function TableWrap({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  );
}

export function Mono({ children, title }: { children: ReactNode; title?: string }) {
  return (
    <code className="mono" title={title}>
      {children}
    </code>
  );
}
