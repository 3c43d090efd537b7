/** Small pure formatters shared by the commands' human output. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `1536` → `1.5 KiB`; bytes are shown whole, larger units with one decimal. */
export function formatBytes(bytes: number): string {
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${BYTE_UNITS[i]}`;
}

/** Bytes per second as `12.3 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.max(0, bytesPerSecond))}/s`;
}

/** Seconds as `42s`, `3m 05s`, `1h 02m`, `2d 03h`: two units at most, the largest first. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** How long ago `iso` was, relative to `now`: `just now`, `5m ago`, `3h ago`, `2d ago`. */
export function formatAge(iso: string, now: Date): string {
  const seconds = (now.getTime() - new Date(iso).getTime()) / 1000;
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))}m ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86_400)}d ago`;
}

/** Whole percent of a 0..1 fraction, clamped: `42%`. */
export function formatPercent(fraction: number): string {
  return `${Math.floor(clamp01(fraction) * 100)}%`;
}

/** The first characters of a digest, enough to recognise it: `3f2a9c1b0d4e…`. */
export function shortHash(sha256: string): string {
  return `${sha256.slice(0, 12)}…`;
}

/** A provider as customers know it: its name, else its address shortened. */
export function providerLabel(provider: { name: string | null; address: string }): string {
  return provider.name ?? `${provider.address.slice(0, 4)}…${provider.address.slice(-4)}`;
}

export function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

/** Tensor dims as people write them: [-1,3,48,-1] → `[?,3,48,?]`. */
export function formatDims(dims: number[]): string {
  return `[${dims.map((d) => (d < 0 ? '?' : String(d))).join(',')}]`;
}

/** `x float32 [?,3,48,?]` */
export function formatSignature(t: { name: string; type: string; dims: number[] }): string {
  return `${t.name} ${t.type} ${formatDims(t.dims)}`;
}

/** A token amount with four significant digits at most, no exponent: `0.01235`, `12.5`, `1234`. */
export function formatTokens(amount: number): string {
  if (!Number.isFinite(amount) || amount === 0) return '0';
  if (Math.abs(amount) >= 1000) return String(Math.round(amount));
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(amount))));
  return String(Number(amount.toFixed(Math.min(digits, 12))));
}

/** A pace such as rows per second: `1234`, `12.3`, `0.42`. */
export function formatPace(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0';
  if (perSecond >= 100) return String(Math.round(perSecond));
  return String(Number(perSecond.toPrecision(3)));
}

/** `1 row`, `3 rows`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
