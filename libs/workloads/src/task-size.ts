/**
 * How many items (frames, rows) one task gets, Flamenco-style: about `targetSeconds` of estimated
 * work, but small enough that every online provider gets about two tasks, and never so small that
 * the per-task start-up dominates (below ~5× the start-up time per task, it exceeds 20 %). At least 1.
 */
export function itemsPerTask(opts: {
  items: number;
  secondsPerItem: number;
  startupSeconds: number;
  targetSeconds: number;
  onlineProviders: number;
}): number {
  const byTime = Math.floor(opts.targetSeconds / opts.secondsPerItem);
  const bySpread = Math.ceil(opts.items / Math.max(1, 2 * opts.onlineProviders));
  const floor = Math.ceil((5 * opts.startupSeconds) / opts.secondsPerItem);
  return Math.max(1, Math.min(byTime, Math.max(bySpread, floor)));
}
