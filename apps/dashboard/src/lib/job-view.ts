import type {
  FrameView,
  JobDetail,
  JobEventView,
  JobWithTasks,
  TaskView,
  VerificationView,
} from '../api/operations';

/**
 * Folds a jobEvents event into what the job page shows. Events are snapshots of the job (the first
 * one is the current state) plus the task that changed, so the job is replaced and the task
 * upserted; tasks the page already knows keep their place.
 */
export function applyJobEvent(current: JobWithTasks | null, event: JobEventView): JobWithTasks {
  const tasks = current?.tasks ?? [];
  return { ...event.job, tasks: event.task ? upsertTask(tasks, event.task) : tasks };
}

export function upsertTask(tasks: readonly TaskView[], task: TaskView): TaskView[] {
  const found = tasks.some((t) => t.id === task.id);
  return sortTasks(found ? tasks.map((t) => (t.id === task.id ? task : t)) : [...tasks, task]);
}

/** By index, each spot-check right after the work it checks. */
export function sortTasks(tasks: readonly TaskView[]): TaskView[] {
  return [...tasks].sort((a, b) => a.index - b.index || roleOrder(a.role) - roleOrder(b.role));
}

function roleOrder(role: string): number {
  return role === 'work' ? 0 : 1;
}

export interface FrameCell {
  number: number;
  /** Null until the frame is rendered and accepted. */
  frame: FrameView | null;
}

/** Every frame the job will render, in order, with the accepted ones filled in. */
export function frameCells(job: Pick<JobDetail, 'params' | 'frames'>): FrameCell[] {
  const done = new Map(job.frames.map((f) => [f.number, f]));
  const asked = Array.isArray(job.params.frames)
    ? (job.params.frames as unknown[]).filter((f): f is number => typeof f === 'number')
    : [];
  const numbers = [...new Set([...asked, ...done.keys()])].sort((a, b) => a - b);
  return numbers.map((number) => ({ number, frame: done.get(number) ?? null }));
}

/** The latest spot-check of a task (the one that decided, or is deciding, its result). */
export function latestVerification(task: TaskView): VerificationView | null {
  return task.verifications.at(-1) ?? null;
}

/** A short word for how a task's spot-checks went, for the tasks table. */
export function checkSummary(task: TaskView): string {
  if (task.role === 'check') return 're-executes samples';
  const v = latestVerification(task);
  if (!v) return task.state === 'ACCEPTED' ? 'not checked' : '—';
  const failed = task.verifications.filter((x) => x.state === 'FAILED').length;
  const head = v.state.toLowerCase();
  return failed && v.state !== 'FAILED' ? `${head} (${failed} failed before)` : head;
}

/** The file name a job's archive is saved as. */
export function archiveName(job: { id: string; name: string | null }): string {
  const base = (job.name ?? '')
    .trim()
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || `job-${job.id.slice(0, 8)}`}.zip`;
}

/**
 * What a task covers, from its params: "rows 0–63" (an inference shard, rows counted from 0 in
 * input order), "frames 1–8" or "frames 1, 3, 5" (a render chunk); on a spot-check, the sampled
 * items. Null when the kind has no items (container jobs).
 */
export function taskItemsLabel(task: Pick<TaskView, 'params'>): string | null {
  const p = task.params ?? {};
  const check = p.check as { rows?: unknown } | undefined;
  const checkRows = numbers(check?.rows);
  if (checkRows) return `${checkRows.length === 1 ? 'row' : 'rows'} ${compactNumbers(checkRows)}`;
  if (typeof p.firstRow === 'number' && typeof p.rows === 'number' && p.rows > 0) {
    return p.rows === 1 ? `row ${p.firstRow}` : `rows ${p.firstRow}–${p.firstRow + p.rows - 1}`;
  }
  const frames = numbers(p.frames);
  if (frames) return `${frames.length === 1 ? 'frame' : 'frames'} ${compactNumbers(frames)}`;
  return null;
}

function numbers(value: unknown): number[] | null {
  return Array.isArray(value) && value.length && value.every((x) => typeof x === 'number')
    ? (value as number[])
    : null;
}

/** [1, 2, 3, 7, 9] → "1–3, 7, 9"; long lists end in "… (40 in all)". */
export function compactNumbers(values: readonly number[], maxParts = 6): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.length > maxParts
    ? `${parts.slice(0, maxParts).join(', ')}, … (${sorted.length} in all)`
    : parts.join(', ');
}

/** One line of an inference batch's outputs: its row (from 0, in input order), and outputs or an error. */
export interface OutputRowView {
  row: number | null;
  id: string | number | null;
  outputs: unknown;
  error: string | null;
}

/**
 * The accepted shard whose outputs the preview shows: the first one by row order (the batch's
 * first rows once shard 0 is accepted). Outputs become readable only when a shard is accepted.
 */
export function previewShard(job: Pick<JobWithTasks, 'tasks'>): { index: number; sha256: string } | null {
  const shard = job.tasks
    .filter((t) => t.role === 'work' && t.state === 'ACCEPTED')
    .sort((a, b) => a.index - b.index)
    .map((t) => ({ index: t.index, file: t.outputs?.find((f) => f.path.endsWith('.jsonl')) }))
    .find((t) => t.file);
  return shard?.file ? { index: shard.index, sha256: shard.file.sha256 } : null;
}

/** The first `limit` output lines of JSONL text; a line that is not an output row is skipped. */
export function parseOutputRows(text: string, limit: number): OutputRowView[] {
  const rows: OutputRowView[] = [];
  for (const line of text.split('\n')) {
    if (rows.length >= limit) break;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // The last line of a truncated read.
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const r = value as Record<string, unknown>;
    rows.push({
      row: typeof r.row === 'number' ? r.row : null,
      id: typeof r.id === 'string' || typeof r.id === 'number' ? r.id : null,
      outputs: r.outputs ?? null,
      error: typeof r.error === 'string' ? r.error : null,
    });
  }
  return rows;
}

/** A row's outputs on one line, cut at `max` characters: `{"text": "hello", "confidence": 0.98}`. */
export function outputSummary(outputs: unknown, max = 160): string {
  if (outputs === null || outputs === undefined) return '—';
  const text = JSON.stringify(outputs, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Number(value.toPrecision(4)) : value,
  )
    .replace(/,"/g, ', "')
    .replace(/":/g, '": ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
