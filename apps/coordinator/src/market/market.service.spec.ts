import { ANONYMOUS } from '../auth/actor';
import type { CoordinatorConfig } from '../config/config';
import { MarketRepository } from './market.repository';
import { MarketService, median } from './market.service';

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, whatever the order', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('MarketService.stats', () => {
  const mocks = {
    market: {
      throughput: jest.fn().mockResolvedValue([
        { kind: 'render', tasksCompleted: 2, itemsDone: 4, averageTaskSeconds: 12, busySeconds: 30 },
        { kind: 'container', tasksCompleted: 1, itemsDone: 1, averageTaskSeconds: null, busySeconds: null },
      ]),
      // Newest first: 0.002 TSR for 2 frames, then 0.006 for 2.
      charges: jest.fn().mockResolvedValue([
        { kind: 'render', items: 2, price: 2000n },
        { kind: 'render', items: 2, price: 6000n },
      ]),
      volume: jest.fn().mockResolvedValue([{ kind: 'render', tasks: 2, price: 8000n }]),
    },
  };
  const sut = new MarketService(
    mocks.market as unknown as MarketRepository,
    {
      market: { currency: 'TSR' },
    } as CoordinatorConfig,
  );

  it('prices each kind per item from its recent charges, the newest as the last price', async () => {
    const now = new Date('2026-01-01T12:00:00Z');
    const stats = await sut.stats(ANONYMOUS, 30, now);
    expect(mocks.market.throughput).toHaveBeenCalledWith(new Date('2026-01-01T11:30:00Z'));
    expect(stats.kinds).toEqual([
      expect.objectContaining({
        kind: 'render',
        itemUnit: 'frames',
        pricedTasks: 2,
        volume: '0.008',
        medianPricePerItem: 0.002,
        lastPricePerItem: 0.001,
      }),
      expect.objectContaining({
        kind: 'container',
        itemUnit: 'tasks',
        pricedTasks: 0,
        volume: '0',
        medianPricePerItem: null,
        lastPricePerItem: null,
      }),
    ]);
  });

  it.each([4, 1441, 60.5, Number.NaN])(
    'refuses a window of %p minutes before reading anything',
    async (w) => {
      mocks.market.throughput.mockClear();
      await expect(sut.stats(ANONYMOUS, w)).rejects.toMatchObject({
        code: 'BAD_INPUT',
        field: 'windowMinutes',
      });
      expect(mocks.market.throughput).not.toHaveBeenCalled();
    },
  );
});
