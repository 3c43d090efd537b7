/** Small statistics helpers shared by the benches. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear-interpolated percentile (p in 0..100) of the values; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Renders rows as an aligned plain-text table (first column left-aligned, the rest right-aligned). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * Wilson score interval for a binomial proportion (successes of n trials) at confidence z (1.96 ≈
 * 95 %): unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n successes.
 */
export function wilson(successes: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Two-sided exact binomial test: the probability, if each of n trials succeeds with probability p,
 * of a count at least as far out in its tail as `successes` (twice the smaller tail, at most 1).
 */
export function binomialTwoSidedP(successes: number, n: number, p: number): number {
  if (p <= 0) return successes === 0 ? 1 : 0;
  if (p >= 1) return successes === n ? 1 : 0;
  // pmf(k) in log space: n choose k p^k (1-p)^(n-k), accumulated from k = 0.
  const logPmf: number[] = [n * Math.log(1 - p)];
  for (let k = 1; k <= n; k++) {
    logPmf.push(logPmf[k - 1] + Math.log((n - k + 1) / k) + Math.log(p) - Math.log(1 - p));
  }
  const pmf = logPmf.map(Math.exp);
  const below = pmf.slice(0, successes + 1).reduce((a, b) => a + b, 0);
  const above = pmf.slice(successes).reduce((a, b) => a + b, 0);
  return Math.min(1, 2 * Math.min(below, above));
}

/** JSON with two-space indentation, but arrays of numbers on one line (long lists stay readable). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s+(-?[\d.eE+-]+(?:,\n\s+-?[\d.eE+-]+)*)\n\s+\]/g,
    (_, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`,
  );
}
