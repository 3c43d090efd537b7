import { clamp01, formatBytes, formatDuration, formatPercent, formatRate } from './format';

/** `[█████░░░░░]`: `width` cells between the brackets, filled in proportion to `fraction`. */
export function renderBar(fraction: number, width: number): string {
  const cells = Math.max(1, Math.floor(width));
  const filled = Math.floor(clamp01(fraction) * cells);
  return `[${'█'.repeat(filled)}${'░'.repeat(cells - filled)}]`;
}

/** A byte transfer (upload, download, hashing) at one instant. */
export interface TransferSnapshot {
  /** What is moving, e.g. `uploading scene.blend`. */
  label: string;
  done: number;
  total: number;
  elapsedMs: number;
}

/** Average bytes per second so far; 0 until some time has passed. */
export function transferRate(s: Pick<TransferSnapshot, 'done' | 'elapsedMs'>): number {
  return s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
}

/**
 * One line for a live transfer, sized to the terminal:
 * `uploading scene.blend [████░░░░] 42%  84.0 MiB / 200.0 MiB  12.3 MiB/s  ETA 9s`.
 */
export function formatTransferLine(s: TransferSnapshot, columns: number): string {
  // Size unknown (a streamed archive): bytes and rate only.
  if (s.total <= 0)
    return `${s.label}  ${formatBytes(s.done)}  ${formatRate(transferRate(s))}`.slice(0, columns - 1);
  const fraction = s.done / s.total;
  const rate = transferRate(s);
  const eta = rate > 0 && s.done < s.total ? `  ETA ${formatDuration((s.total - s.done) / rate)}` : '';
  const tail = ` ${formatPercent(fraction).padStart(4)}  ${formatBytes(s.done)} / ${formatBytes(s.total)}  ${formatRate(rate)}${eta}`;
  return withBar(s.label, fraction, tail, columns);
}

/** A job's progress as the API reports it (Job.progress) plus its state. */
export interface JobProgressView {
  state: string;
  itemsDone: number;
  itemsTotal: number;
  itemUnit: string;
  fraction: number;
  etaSeconds: number | null;
}

/** `20/48 frames (41%)` */
export function formatItems(
  p: Pick<JobProgressView, 'itemsDone' | 'itemsTotal' | 'itemUnit' | 'fraction'>,
): string {
  return `${p.itemsDone}/${p.itemsTotal} ${p.itemUnit} (${formatPercent(p.fraction)})`;
}

function etaText(p: JobProgressView): string {
  const pending = p.state === 'RUNNING' && p.itemsDone < p.itemsTotal;
  return p.etaSeconds === null || !pending ? '' : `, ETA ${formatDuration(p.etaSeconds)}`;
}

/** The live line of `watch` on a terminal: `RUNNING   [████░░░░] 41%  20/48 frames  ETA 1m 12s`. */
export function formatJobProgressLine(p: JobProgressView, columns: number): string {
  const eta = etaText(p).replace(', ', '  ');
  const tail = ` ${formatPercent(p.fraction).padStart(4)}  ${p.itemsDone}/${p.itemsTotal} ${p.itemUnit}${eta}`;
  return withBar(p.state.padEnd(9), p.fraction, tail, columns);
}

/** The same progress as one plain line, for logs and pipes: `RUNNING 20/48 frames (41%), ETA 1m 12s`. */
export function formatJobProgressPlain(p: JobProgressView): string {
  return `${p.state} ${formatItems(p)}${etaText(p)}`;
}

/** `label [bar]tail`, the bar taking what the terminal has left (10 to 30 cells). */
function withBar(label: string, fraction: number, tail: string, columns: number): string {
  const room = columns - 1 - label.length - tail.length - 3;
  const width = Math.max(10, Math.min(30, room));
  return `${label} ${renderBar(fraction, width)}${tail}`;
}
