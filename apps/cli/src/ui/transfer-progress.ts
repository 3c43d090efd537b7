import type { Output } from '../cli-context';
import { formatBytes, formatDuration, formatRate } from './format';
import { LiveLine } from './live-line';
import { formatTransferLine, transferRate } from './progress-bar';

/** Redraws at most this often: enough to look live, cheap at gigabytes of small chunks. */
const REDRAW_MS = 100;

/**
 * Progress of one byte transfer. On a terminal: a bar with bytes, percent, rate and ETA, redrawn in
 * place. Elsewhere: nothing while it runs (or, with `milestones`, a line at each quarter), then one
 * summary line.
 */
export class TransferProgress {
  private done = 0;
  private lastDraw = 0;
  private nextMilestone = 0.25;
  private readonly line: LiveLine;
  private readonly started: number;

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly total: number,
    private readonly opts: { milestones?: boolean; now?: () => number } = {},
  ) {
    this.line = new LiveLine(out);
    this.started = this.now();
    this.draw();
  }

  add(bytes: number): void {
    this.done += bytes;
    const t = this.now();
    if (this.line.live) {
      if (t - this.lastDraw >= REDRAW_MS) this.draw();
      return;
    }
    if (!this.opts.milestones || this.total <= 0) return;
    // One line for the furthest quarter reached; none once complete (finish() sums up), so a small
    // file sent in one chunk prints no milestones at all.
    let reached: number | undefined;
    while (this.done / this.total >= this.nextMilestone && this.nextMilestone < 1) {
      reached = this.nextMilestone;
      this.nextMilestone += 0.25;
    }
    if (reached !== undefined && this.done < this.total)
      this.out.write(
        `${this.label}: ${Math.round(reached * 100)}% (${formatBytes(this.done)} of ${formatBytes(this.total)})\n`,
      );
  }

  /** Prints a line above the bar (terminals) or plainly (elsewhere). */
  print(text: string): void {
    this.line.print(text);
  }

  /** Ends the bar with a summary: `uploaded scene.blend: 200.0 MiB in 3s (66.7 MiB/s)`. */
  finish(summary: string): void {
    const elapsedMs = this.now() - this.started;
    this.line.clear();
    const rate = elapsedMs > 0 ? `, ${formatRate(transferRate({ done: this.done, elapsedMs }))}` : '';
    this.out.write(`${summary}: ${formatBytes(this.done)} in ${formatDuration(elapsedMs / 1000)}${rate}\n`);
  }

  /** Removes the bar without a summary (on failure). */
  abandon(): void {
    this.line.clear();
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.line.set(
      formatTransferLine(
        { label: this.label, done: this.done, total: this.total, elapsedMs: this.lastDraw - this.started },
        this.out.columns,
      ),
    );
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }
}
