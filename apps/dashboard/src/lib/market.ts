import type { ProviderSummary, QueueDepthView } from '../api/operations';

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
