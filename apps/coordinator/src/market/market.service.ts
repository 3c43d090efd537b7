import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { ITEM_UNITS } from '../jobs/jobs.mapper';
import { formatTsr, UNITS_PER_TSR } from '../ledger/amount';
import { KindThroughputDto, MarketStatsDto } from './dtos/market-stats.dto';
import { MarketRepository, TaskChargeRow } from './market.repository';

export const MIN_WINDOW_MINUTES = 5;
export const MAX_WINDOW_MINUTES = 24 * 60;
/** The recent charges the median price is taken over, per kind. */
export const PRICE_SAMPLE = 500;

/** The median of `values` (the mean of the middle two for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Tokens per item of one charge, as a float for statistics (money itself stays in base units). */
function perItem(charge: TaskChargeRow): number {
  return Number(charge.price) / Number(UNITS_PER_TSR) / Math.max(1, charge.items);
}

/**
 * The market's recent throughput and prices, public like its providers and queue: per job kind,
 * the work tasks accepted in the window (a spot-checked task counts once its check passed), their
 * items and run time, and what customers were charged for them (from the ledger's task captures).
 */
@Injectable()
export class MarketService {
  constructor(
    private readonly market: MarketRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  async stats(_actor: Actor, windowMinutes: number, now = new Date()): Promise<MarketStatsDto> {
    if (
      !Number.isInteger(windowMinutes) ||
      windowMinutes < MIN_WINDOW_MINUTES ||
      windowMinutes > MAX_WINDOW_MINUTES
    )
      throw new AppError(
        'BAD_INPUT',
        `windowMinutes must be a whole number of minutes from ${MIN_WINDOW_MINUTES} to ${MAX_WINDOW_MINUTES} (a day), got ${windowMinutes}`,
        'windowMinutes',
      );
    const since = new Date(now.getTime() - windowMinutes * 60_000);
    const [throughput, charges, volume] = await Promise.all([
      this.market.throughput(since),
      this.market.charges(since, PRICE_SAMPLE),
      this.market.volume(since),
    ]);
    const kinds = throughput.map((t): KindThroughputDto => {
      // Newest first, as the repository returns them.
      const recent = charges.filter((c) => c.kind === t.kind);
      const paid = volume.find((v) => v.kind === t.kind);
      return {
        ...t,
        itemUnit: ITEM_UNITS[t.kind] ?? 'tasks',
        pricedTasks: paid?.tasks ?? 0,
        volume: formatTsr(paid?.price ?? 0n),
        medianPricePerItem: median(recent.map(perItem)),
        lastPricePerItem: recent.length ? perItem(recent[0]) : null,
      };
    });
    return { windowMinutes, since, currency: this.config.market.currency, kinds };
  }
}
