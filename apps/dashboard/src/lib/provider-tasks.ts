import type { ProviderTaskView } from '../api/operations';
import { between } from './format';

const SINGULAR: Record<string, string> = { frames: 'frame', rows: 'row', regions: 'region', tasks: 'task' };

/** "frames" → "frame". */
export function singular(unit: string): string {
  return SINGULAR[unit] ?? unit;
}

/** "1 frame", "3 frames". */
export function countOf(n: number, unit: string): string {
  return `${n} ${n === 1 ? singular(unit) : unit}`;
}

/**
 * What a provider's task covers, without whose it is: "frames 3–4", "frame 7", "rows 0–63",
 * "3 frames in 1–5" (a stepped chunk), "spot-check of 2 regions", "render task".
 */
export function describeTask(
  t: Pick<ProviderTaskView, 'kind' | 'role' | 'itemUnit' | 'items' | 'firstItem' | 'lastItem'>,
): string {
  if (t.role === 'check') return `spot-check of ${countOf(t.items, t.itemUnit)}`;
  if (t.firstItem !== null && t.lastItem !== null) {
    if (t.firstItem === t.lastItem) return `${singular(t.itemUnit)} ${t.firstItem}`;
    if (t.lastItem - t.firstItem + 1 === t.items) return `${t.itemUnit} ${t.firstItem}–${t.lastItem}`;
    return `${countOf(t.items, t.itemUnit)} in ${t.firstItem}–${t.lastItem}`;
  }
  return t.itemUnit === 'tasks' && t.items === 1
    ? `${t.kind} task`
    : `${t.kind}: ${countOf(t.items, t.itemUnit)}`;
}

/** How long a held task has been going: since its container started, or since its lease before that. */
export function heldFor(
  t: Pick<ProviderTaskView, 'leasedAt' | 'startedAt'>,
  now: number = Date.now(),
): number | null {
  return between(t.startedAt ?? t.leasedAt, new Date(now).toISOString());
}

/** How long a finished attempt ran: container start (or lease) to its end. */
export function ranFor(t: Pick<ProviderTaskView, 'leasedAt' | 'startedAt' | 'finishedAt'>): number | null {
  return between(t.startedAt ?? t.leasedAt, t.finishedAt);
}
