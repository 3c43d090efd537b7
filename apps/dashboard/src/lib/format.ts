/** How numbers, times and money read on every page. Pure functions: format.spec.ts pins them. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB"; binary units, as VRAM and RAM are sold. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${trimZeros(value.toFixed(digits))} ${BYTE_UNITS[unit]}`;
}

/** 850 → "850 ms", 12_400 → "12.4 s", 184_000 → "3 min 4 s", 7_500_000 → "2 h 5 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${trimZeros(seconds.toFixed(seconds < 10 ? 1 : 0))} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  return s ? `${m} min ${s} s` : `${m} min`;
}

/** An ETA in seconds as "about 3 min left"; nothing before the first item gives a pace. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '';
  if (seconds < 1) return 'almost done';
  return `about ${formatDuration(Math.max(1, Math.round(seconds)) * 1000)} left`;
}

/** "12.500000" → "12.5 TSR": the API's exact decimal strings, without noise. */
export function formatTokens(amount: string | number | null | undefined, currency = ''): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  let text: string;
  if (typeof amount === 'number') {
    if (!Number.isFinite(amount)) return '—';
    text = amount === 0 ? '0' : amount < 0.0001 ? amount.toPrecision(2) : trimZeros(amount.toFixed(4));
  } else {
    text = /^-?\d+(\.\d+)?$/.test(amount) ? trimZeros(amount) : amount;
  }
  return currency ? `${text} ${currency}` : text;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** 0.4567 → "46 %". */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)} %`;
}

/** "just now", "45 s ago", "3 min ago", "2 h ago", "5 d ago"; a date for older ones. */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const s = Math.round((now - then) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return formatDate(iso);
}

/** "2026-03-01 14:05:09" in the viewer's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${formatDate(iso)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Milliseconds between two timestamps, or null when one is missing. */
export function between(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? ms : null;
}

/** "3Fq9…x7Zk": long base58 addresses and hashes, recognisable at both ends. */
export function shortAddress(address: string, keep = 4): string {
  return address.length <= keep * 2 + 1 ? address : `${address.slice(0, keep)}…${address.slice(-keep)}`;
}

/** The first characters of a hex digest or uuid, as Git shows commits. */
export function shortId(id: string, length = 8): string {
  return id.slice(0, length);
}

/** A job's name, or its kind and short id. */
export function jobTitle(job: { id: string; name: string | null; kind: string }): string {
  return job.name?.trim() || `${job.kind} ${shortId(job.id)}`;
}

/**
 * Frames in the API's syntax ("1-48", "1-48x2", "1,5,10-12") as a sorted list without repeats;
 * null when the text is not that syntax (the coordinator says why at submission).
 */
export function parseFrames(spec: string, max = 100_000): number[] | null {
  const frames = new Set<number>();
  const parts = spec.split(',').map((p) => p.trim());
  if (!spec.trim() || parts.some((p) => !p)) return null;
  for (const part of parts) {
    const match = /^(-?\d+)(?:\s*-\s*(-?\d+)(?:\s*x\s*(\d+))?)?$/.exec(part);
    if (!match) return null;
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    const step = match[3] === undefined ? 1 : Number(match[3]);
    if (end < start || step < 1) return null;
    for (let f = start; f <= end; f += step) {
      frames.add(f);
      if (frames.size > max) return null;
    }
  }
  return [...frames].sort((a, b) => a - b);
}

/** "1920x1080" → { width, height }; null otherwise. */
export function parseResolution(text: string): { width: number; height: number } | null {
  const match = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

/**
 * What a render costs at the market price: frames × megapixels × samples × price per
 * megapixel-sample (the coordinator's own formula; it refuses a maxPrice below this).
 */
export function estimateRenderCost(
  input: { frames: number; width: number; height: number; samples: number },
  pricePerMegapixelSample: number,
): number {
  return input.frames * ((input.width * input.height) / 1e6) * input.samples * pricePerMegapixelSample;
}
