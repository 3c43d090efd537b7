import type { KindThroughputView, MarketStatsView, ProviderSummary, QueueDepthView } from '../api/operations';
import { countOf } from './provider-tasks';

export interface GpuSupplyRow {
  model: string;
  vramGiB: number;
  /** GPUs of this model and VRAM on online machines. */
  gpus: number;
  machines: number;
}

/** GPUs on online, unbanned machines, by model and VRAM, most first. */
export function gpuSupply(providers: readonly ProviderSummary[]): GpuSupplyRow[] {
  const rows = new Map<string, GpuSupplyRow & { machineIds: Set<string> }>();
  for (const p of providers) {
    if (!p.online || p.banned) continue;
    for (const gpu of p.gpus) {
      const vramGiB = Math.round(gpu.vramBytes / 2 ** 30);
      const key = `${gpu.name}\u0000${vramGiB}`;
      const row = rows.get(key) ?? { model: gpu.name, vramGiB, gpus: 0, machines: 0, machineIds: new Set() };
      row.gpus++;
      row.machineIds.add(p.id);
      row.machines = row.machineIds.size;
      rows.set(key, row);
    }
  }
  return [...rows.values()]
    .map(({ machineIds: _ids, ...row }) => row)
    .sort((a, b) => b.gpus - a.gpus || b.vramGiB - a.vramGiB || a.model.localeCompare(b.model));
}

export interface MarketTotals {
  online: number;
  total: number;
  gpusOnline: number;
  cpuOnlyOnline: number;
  coresOnline: number;
  slotsOnline: number;
  queued: number;
  running: number;
  attemptsSucceeded: number;
}

export function marketTotals(
  providers: readonly ProviderSummary[],
  queue: readonly QueueDepthView[],
): MarketTotals {
  const online = providers.filter((p) => p.online && !p.banned);
  return {
    online: online.length,
    total: providers.length,
    gpusOnline: online.reduce((n, p) => n + p.gpus.length, 0),
    cpuOnlyOnline: online.filter((p) => p.gpus.length === 0).length,
    coresOnline: online.reduce((n, p) => n + p.cpuCores, 0),
    slotsOnline: online.reduce((n, p) => n + p.slots, 0),
    queued: queue.reduce((n, q) => n + q.queued, 0),
    running: queue.reduce((n, q) => n + q.running, 0),
    attemptsSucceeded: providers.reduce((n, p) => n + p.stats.succeeded, 0),
  };
}

/** Online first, then by most recently seen. */
export function sortProviders(providers: readonly ProviderSummary[]): ProviderSummary[] {
  return [...providers].sort(
    (a, b) => Number(b.online) - Number(a.online) || Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt),
  );
}

/** The provider's name or its short address. */
export function providerLabel(p: { name: string | null; address: string }): string {
  return p.name?.trim() || `${p.address.slice(0, 4)}…${p.address.slice(-4)}`;
}

/** "the last hour", "the last 15 minutes", "the last 3 hours", "the last day". */
export function windowLabel(minutes: number): string {
  if (minutes === 1440) return 'the last day';
  if (minutes === 60) return 'the last hour';
  if (minutes % 60 === 0) return `the last ${minutes / 60} hours`;
  return `the last ${minutes} minutes`;
}

/** Items per minute over `minutes` when that is at least one, per hour otherwise: "4.5 frames/min", "12 rows/h". */
export function formatRate(items: number, minutes: number, unit: string): string {
  if (!(minutes > 0) || !Number.isFinite(items)) return '—';
  const perMinute = items / minutes;
  const [value, per] = perMinute >= 1 ? [perMinute, 'min'] : [perMinute * 60, 'h'];
  return `${countOf(value >= 10 ? Math.round(value) : Math.round(value * 10) / 10, unit)}/${per}`;
}

export interface ThroughputRow extends KindThroughputView {
  /** "4.5 frames/min" while the market worked (its busy span), else over the window. */
  rate: string;
  /** "6 frames in 3 tasks". */
  done: string;
}

/** The window's work per kind, busiest first (by tasks: kinds count items in different units). */
export function throughputRows(stats: MarketStatsView): ThroughputRow[] {
  return [...stats.kinds]
    .sort((a, b) => b.tasksCompleted - a.tasksCompleted || a.kind.localeCompare(b.kind))
    .map((k) => ({
      ...k,
      rate: formatRate(
        k.itemsDone,
        k.busySeconds && k.busySeconds > 0 ? k.busySeconds / 60 : stats.windowMinutes,
        k.itemUnit,
      ),
      done:
        k.itemUnit === 'tasks'
          ? countOf(k.tasksCompleted, 'tasks')
          : `${countOf(k.itemsDone, k.itemUnit)} in ${countOf(k.tasksCompleted, 'tasks')}`,
    }));
}

/** Tasks finished in the window over all kinds. */
export function tasksFinished(stats: MarketStatsView | null | undefined): number {
  return (stats?.kinds ?? []).reduce((n, k) => n + k.tasksCompleted, 0);
}
