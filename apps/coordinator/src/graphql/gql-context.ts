import DataLoader from 'dataloader';
import type { Request } from 'express';
import { Actor } from '../auth/actor';
import { AttemptEntity } from '../jobs/attempt.entity';
import { JobsService } from '../jobs/jobs.service';
import { ProviderRefDto } from '../jobs/dtos/job.dto';
import { ProviderStatsDto } from '../providers/dtos/provider.dto';
import { ProvidersService } from '../providers/providers.service';

/**
 * Per-request batch loaders, so a job with a thousand tasks costs a few queries, not thousands.
 * Batching only, no cache: a subscription keeps one context for all its events, and a cached
 * answer would show every later event the attempts as they were at the first.
 */
export interface Loaders {
  attemptsByTask: DataLoader<string, AttemptEntity[]>;
  providerById: DataLoader<string, ProviderRefDto>;
  providerStats: DataLoader<string, ProviderStatsDto>;
}

export interface GqlContext {
  req?: Request;
  actor: Actor;
  loaders: Loaders;
}

export function createLoaders(jobs: JobsService, providers: ProvidersService): Loaders {
  return {
    attemptsByTask: new DataLoader(
      async (taskIds) => {
        const attempts = await jobs.attemptsOfTasks([...taskIds]);
        return taskIds.map((id) => attempts.filter((a) => a.taskId === id));
      },
      { cache: false },
    ),
    providerById: new DataLoader(async (ids) => {
      const found = new Map((await providers.byIds(ids)).map((p) => [p.id, p]));
      return ids.map((id) => {
        const p = found.get(id);
        return p ? { id: p.id, address: p.address, name: p.name } : new Error(`no provider ${id}`);
      });
    }),
    providerStats: new DataLoader(
      async (ids) => {
        const stats = new Map((await providers.stats(ids)).map((s) => [s.providerId, s]));
        return ids.map((id) => stats.get(id) ?? { succeeded: 0, failed: 0, expired: 0 });
      },
      { cache: false },
    ),
  };
}
