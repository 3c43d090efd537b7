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
