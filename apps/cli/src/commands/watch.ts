import type { CommandContext, Output } from '../cli-context';
import { CliError } from '../cli-error';
import { requireApiKey } from '../config/cli-config';
import { FINISHED_STATES, JobEventView, JobSummary, TaskView } from '../api/operations';
import { TesseraApi } from '../api/tessera-api';
import { formatDuration, providerLabel } from '../ui/format';
import { LiveLine } from '../ui/live-line';
import { formatJobProgressLine, formatJobProgressPlain, formatItems } from '../ui/progress-bar';

/** The live line's ETA counts down between events at this pace. */
const TICK_MS = 1000;

/** Who ran a task: the succeeded attempt's provider, else the latest attempt's. */
function ranBy(task: TaskView): string | undefined {
  const attempt = [...task.attempts].reverse().find((a) => a.state === 'SUCCEEDED') ?? task.attempts.at(-1);
  return attempt ? providerLabel(attempt.provider) : undefined;
}

/**
 * Renders job events as they arrive: a line per frame as it lands (`frame 12 ✓ (task 3 on box)`),
 * a line per failed or rejected task, and the job's progress: redrawn in place on a terminal (its
 * ETA ticking down between events), a plain line per change elsewhere.
 */
export class JobEventPrinter {
  private readonly line: LiveLine;
  private readonly seenFrames = new Set<number>();
  private first = true;
  private lastPlain = '';
  private latest?: { job: JobSummary; at: number };
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly out: Output,
    private readonly now: () => number = Date.now,
    /** Print the job's name and state first (render has just said them). */
    private readonly header = true,
  ) {
    this.line = new LiveLine(out);
    if (this.line.live) {
      this.ticker = setInterval(() => this.redraw(), TICK_MS);
      this.ticker.unref();
    }
  }

  handle(event: JobEventView): void {
    const { job, task } = event;
    const fresh = job.frames.filter((f) => !this.seenFrames.has(f.number));
    for (const f of fresh) this.seenFrames.add(f.number);
    if (this.first) {
      this.first = false;
      if (this.header)
        this.line.print(`job ${job.id}${job.name ? ` "${job.name}"` : ''}: ${job.kind}, ${job.state}`);
      if (fresh.length) this.line.print(`${fresh.length} ${job.progress.itemUnit} already done`);
    } else if (task?.role === 'check') {
      // Another provider re-running samples of a task: the work task's own event says the outcome.
    } else {
      this.reportCheck(task);
      // The coordinator sends the job as it is when the event is delivered, so frames of other
      // tasks may ride along: credit a task only with the frames among its own outputs.
      const accepted = task?.state === 'ACCEPTED' ? task : undefined;
      const own = new Set((accepted?.outputs ?? []).map((o) => o.path));
      const by = accepted && ranBy(accepted);
      const source = accepted ? ` (task ${accepted.index}${by ? ` on ${by}` : ''})` : '';
      for (const f of [...fresh].sort((a, b) => a.number - b.number))
        this.line.print(`frame ${f.number} ✓${own.has(f.path) ? source : ''}`);
      if (task && (task.state === 'REJECTED' || task.state === 'FAILED')) {
        const by = ranBy(task);
        const why = task.error ? `: ${task.error.code}: ${task.error.message}` : '';
        this.line.print(`task ${task.index} ${task.state}${by ? ` on ${by}` : ''}${why}`);
      }
    }
    this.latest = { job, at: this.now() };
    if (this.line.live) this.redraw();
    // A finished job gets its own final line (reportOutcome), not a progress line.
    else if (!FINISHED_STATES.includes(job.state)) {
      const plain = formatJobProgressPlain({ ...job.progress, state: job.state });
      if (plain !== this.lastPlain) this.line.print(plain);
      this.lastPlain = plain;
    }
  }

  private readonly reportedChecks = new Set<string>();

  /** One line when a task's result is being spot-checked, and when a check rejected it. */
  private reportCheck(task: TaskView | null): void {
    const latest = task?.verifications.at(-1);
    if (!task || !latest) return;
    const key = `${task.index}:${task.verifications.length}:${latest.state}`;
    if (this.reportedChecks.has(key)) return;
    this.reportedChecks.add(key);
    if (task.state === 'VERIFYING' && latest.state !== 'FAILED')
      this.line.print(`task ${task.index}: spot-checking (another provider re-renders a sample of it)`);
    if (latest.state === 'FAILED')
      this.line.print(
        `task ${task.index}: a spot-check rejected its result (${latest.reason ?? 'no reason'}); re-done by another provider, not charged`,
      );
  }

  /** Stops the ticker and removes the live line. */
  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.line.clear();
  }

  private redraw(): void {
    if (!this.latest) return;
    const { job, at } = this.latest;
    const elapsed = Math.floor((this.now() - at) / 1000);
    const eta = job.progress.etaSeconds === null ? null : Math.max(0, job.progress.etaSeconds - elapsed);
    this.line.set(
      formatJobProgressLine({ ...job.progress, etaSeconds: eta, state: job.state }, this.out.columns),
    );
  }
}

/**
 * Follows a job until it finishes and returns its final state. Ctrl-C stops watching (not the
 * job) with exit code 130 and says how to resume or cancel.
 */
export async function followJob(
  ctx: CommandContext,
  api: TesseraApi,
  jobId: string,
  opts: { header?: boolean } = {},
): Promise<JobSummary> {
  const printer = new JobEventPrinter(ctx.io.stdout, () => ctx.io.now().getTime(), opts.header ?? true);
  let last: JobSummary | undefined;
  try {
    for await (const event of api.jobEvents(jobId, ctx.io.interrupted)) {
      printer.handle(event);
      last = event.job;
      if (FINISHED_STATES.includes(event.job.state)) break;
    }
  } finally {
    printer.close();
  }
  if (ctx.io.interrupted.aborted)
    throw new CliError(
      `stopped watching; job ${jobId} keeps running: "tessera watch ${jobId}" to follow it again, "tessera cancel ${jobId}" to stop it`,
      130,
    );
  if (!last || !FINISHED_STATES.includes(last.state))
    throw new CliError(
      `the coordinator ended the live updates before job ${jobId} finished: run "tessera watch ${jobId}" again`,
    );
  return last;
}

/** The final line for a finished job; a FAILED or CANCELLED job is an error carrying the job's own. */
export function reportOutcome(out: Output, job: JobSummary): void {
  if (job.state === 'COMPLETED') {
    const took =
      job.startedAt && job.finishedAt
        ? ` in ${formatDuration((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000)}`
        : '';
    out.write(`job ${job.id} COMPLETED: ${formatItems(job.progress)}${took}\n`);
    return;
  }
  const why = job.error ? `: ${job.error.code}: ${job.error.message}` : '';
  const { itemsDone, itemsTotal, itemUnit } = job.progress;
  // An inference batch's outputs are served only once it completes: nothing to fetch then.
  const hint =
    itemsDone > 0 && job.kind !== 'inference' ? ` ("tessera download ${job.id}" fetches them)` : '';
  throw new CliError(
    `job ${job.id} ${job.state}${why}; ${itemsDone} of ${itemsTotal} ${itemUnit} were done${hint}`,
  );
}

/** `tessera watch JOB`: live progress until the job ends; exit 0 when it COMPLETED, 1 otherwise. */
export async function watch(ctx: CommandContext, jobId: string): Promise<number> {
  requireApiKey(ctx.config);
  const job = await followJob(ctx, new TesseraApi(ctx.config), jobId);
  reportOutcome(ctx.io.stdout, job);
  return 0;
}
