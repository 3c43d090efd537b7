import { describe, expect, it } from 'vitest';
import type { MarketStatsView, ProviderSummary } from '../api/operations';
import {
  formatRate,
  gpuSupply,
  marketTotals,
  sortProviders,
  tasksFinished,
  throughputRows,
  windowLabel,
} from './market';

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

describe('market throughput', () => {
  const stats: MarketStatsView = {
    windowMinutes: 60,
    since: '2026-03-01T11:00:00Z',
    currency: 'TSR',
    kinds: [
      {
        kind: 'inference',
        itemUnit: 'rows',
        tasksCompleted: 2,
        itemsDone: 128,
        averageTaskSeconds: 4,
        busySeconds: 60,
        pricedTasks: 2,
        volume: '0.5',
        medianPricePerItem: 0.002,
        lastPricePerItem: 0.002,
      },
      {
        kind: 'render',
        itemUnit: 'frames',
        tasksCompleted: 3,
        itemsDone: 6,
        averageTaskSeconds: 20,
        busySeconds: 30,
        pricedTasks: 3,
        volume: '0.072',
        medianPricePerItem: 0.012,
        lastPricePerItem: 0.01,
      },
      {
        kind: 'container',
        itemUnit: 'tasks',
        tasksCompleted: 1,
        itemsDone: 1,
        averageTaskSeconds: null,
        busySeconds: null,
        pricedTasks: 0,
        volume: '0',
        medianPricePerItem: null,
        lastPricePerItem: null,
      },
    ],
  };

  it('lists the busiest kinds first, with their rate while busy (else over the window) and what was done', () => {
    expect(throughputRows(stats).map((r) => [r.kind, r.rate, r.done])).toEqual([
      ['render', '12 frames/min', '6 frames in 3 tasks'],
      ['inference', '128 rows/min', '128 rows in 2 tasks'],
      ['container', '1 task/h', '1 task'],
    ]);
    expect(tasksFinished(stats)).toBe(6);
    expect(tasksFinished(null)).toBe(0);
  });

  it('states a rate per minute when there is at least one a minute, per hour below that', () => {
    expect(formatRate(300, 60, 'frames')).toBe('5 frames/min');
    expect(formatRate(90, 60, 'frames')).toBe('1.5 frames/min');
    expect(formatRate(5, 60, 'frames')).toBe('5 frames/h');
    expect(formatRate(1, 5, 'rows')).toBe('12 rows/h');
    expect(formatRate(1, 0, 'rows')).toBe('—');
  });

  it('names the window in words', () => {
    expect(windowLabel(60)).toBe('the last hour');
    expect(windowLabel(15)).toBe('the last 15 minutes');
    expect(windowLabel(180)).toBe('the last 3 hours');
    expect(windowLabel(1440)).toBe('the last day');
  });
});
