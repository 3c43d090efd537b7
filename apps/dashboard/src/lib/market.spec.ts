import { describe, expect, it } from 'vitest';
import type { ProviderSummary } from '../api/operations';
import { gpuSupply, marketTotals, sortProviders } from './market';

const GiB = 2 ** 30;

function provider(id: string, extra: Partial<ProviderSummary> = {}): ProviderSummary {
  return {
    id,
    address: `addr-${id}`,
    name: id,
    owner: 'owner',
    online: true,
    banned: false,
    lastSeenAt: '2026-03-01T12:00:00Z',
    cpuCores: 8,
    memoryBytes: 32 * GiB,
    slots: 2,
    kinds: ['render'],
    gpus: [],
    record: {
      checksPassed: 0,
      checksFailed: 0,
      cleanStreak: 0,
      reputation: 0.5,
      checkRate: 1,
      banReason: null,
    },
    stats: { succeeded: 3, failed: 0, expired: 0 },
    ...extra,
  };
}

describe('market', () => {
  const providers = [
    provider('a', {
      gpus: [
        { name: 'RTX 4090', vramBytes: 24 * GiB },
        { name: 'RTX 4090', vramBytes: 24 * GiB },
      ],
    }),
    provider('b', { gpus: [{ name: 'RTX 4090', vramBytes: 23.99 * GiB }] }),
    provider('c', { gpus: [{ name: 'A100', vramBytes: 80 * GiB }], online: false }),
    provider('d', { gpus: [{ name: 'A100', vramBytes: 80 * GiB }], banned: true }),
    provider('e'),
  ];

  it('counts GPU supply on online, unbanned machines by model and VRAM', () => {
    expect(gpuSupply(providers)).toEqual([{ model: 'RTX 4090', vramGiB: 24, gpus: 3, machines: 2 }]);
  });

  it('totals the market', () => {
    expect(
      marketTotals(providers, [
        { kind: 'render', queued: 4, running: 2 },
        { kind: 'inference', queued: 1, running: 0 },
      ]),
    ).toEqual({
      online: 3,
      total: 5,
      gpusOnline: 3,
      cpuOnlyOnline: 1,
      coresOnline: 24,
      slotsOnline: 6,
      queued: 5,
      running: 2,
      attemptsSucceeded: 15,
    });
  });

  it('lists online providers first, then the most recently seen', () => {
    const sorted = sortProviders([
      provider('old', { online: false, lastSeenAt: '2026-01-01T00:00:00Z' }),
      provider('new', { online: false, lastSeenAt: '2026-02-01T00:00:00Z' }),
      provider('up', { online: true, lastSeenAt: '2025-01-01T00:00:00Z' }),
    ]);
    expect(sorted.map((p) => p.id)).toEqual(['up', 'new', 'old']);
  });
});
