import { Inject, Injectable } from '@nestjs/common';
import type { Capabilities } from '@tessera/protocol';
import { Actor } from '../auth/actor';
import { AppError } from '../common/app-error';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { checkRate, reputation } from '@tessera/workloads';
import { CheckRecordDto, ProviderDto } from './dtos/provider.dto';
import { ProviderTaskDto } from './dtos/provider-task.dto';
import { ProviderEntity } from './provider.entity';
import { taskItemsOf } from './provider-task';
import { ProviderStats, ProviderTaskRow, ProvidersRepository } from './providers.repository';

/** Most recent attempts a provider page may ask for at once. */
export const MAX_RECENT_ATTEMPTS = 50;

@Injectable()
export class ProvidersService {
  constructor(
    private readonly providers: ProvidersRepository,
    @Inject(COORDINATOR_CONFIG) private readonly config: CoordinatorConfig,
  ) {}

  /** A provider is online while connected and heard from within three heartbeat intervals. */
  private get onlineWindowMs(): number {
    return this.config.scheduler.heartbeatIntervalMs * 3;
  }

  connected(
    address: string,
    name: string | null,
    capabilities: Capabilities,
    agentVersion: string,
    owner: string | null = null,
  ): Promise<ProviderEntity> {
    return this.providers.upsertConnected(address, name, capabilities, agentVersion, owner);
  }

  updateCapabilities(providerId: string, capabilities: Capabilities): Promise<void> {
    return this.providers.updateCapabilities(providerId, capabilities);
  }

  touch(providerId: string): Promise<void> {
    return this.providers.touch(providerId);
  }

  /** Clears the connected mark unless a newer connection (maybe on another replica) has set it since. */
  disconnected(providerId: string, connectedAt: Date | undefined): Promise<void> {
    return this.providers.markDisconnected(providerId, connectedAt);
  }

  countOnline(kind: string): Promise<number> {
    return this.providers.countOnline(kind, this.onlineWindowMs);
  }

  /** The market's providers are public, as on Akash or Render: anyone may list them. */
  async list(_actor: Actor, opts: { onlineOnly: boolean; limit: number }): Promise<ProviderDto[]> {
    const rows = await this.providers.list({
      onlineSinceMs: opts.onlineOnly ? this.onlineWindowMs : undefined,
      limit: opts.limit,
    });
    return rows.map((p) => this.toDto(p));
  }

  /** One provider by its id or its Solana address (what an agent knows itself by). */
  async get(_actor: Actor, idOrAddress: string): Promise<ProviderDto> {
    const provider = /^[0-9a-f-]{36}$/i.test(idOrAddress)
      ? await this.providers.findById(idOrAddress)
      : /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(idOrAddress)
        ? await this.providers.findByAddress(idOrAddress)
        : null;
    if (!provider) throw new AppError('PROVIDER_NOT_FOUND', `no provider ${idOrAddress}`);
    return this.toDto(provider);
  }

  async byIds(ids: readonly string[]): Promise<ProviderEntity[]> {
    return this.providers.findByIds(ids);
  }

  stats(ids: readonly string[]): Promise<ProviderStats[]> {
    return this.providers.stats(ids);
  }

  /**
   * The tasks each of `ids` holds now, for its public page (anyone may read it, as its record): the
   * kind and items of each, never the job or customer behind it.
   */
  async currentTasks(_actor: Actor, ids: readonly string[]): Promise<ProviderTaskDto[][]> {
    return this.byProvider(ids, await this.providers.currentTasks(ids));
  }

  /** The last `limit` (1 to 50) attempts each of `ids` finished, with their outcome; public as above. */
  async recentAttempts(_actor: Actor, ids: readonly string[], limit: number): Promise<ProviderTaskDto[][]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RECENT_ATTEMPTS)
      throw new AppError(
        'BAD_INPUT',
        `limit must be from 1 to ${MAX_RECENT_ATTEMPTS}, got ${limit}`,
        'limit',
      );
    return this.byProvider(ids, await this.providers.recentAttempts(ids, limit));
  }

  private byProvider(ids: readonly string[], rows: ProviderTaskRow[]): ProviderTaskDto[][] {
    return ids.map((id) =>
      rows
        .filter((r) => r.providerId === id)
        .map(({ params, items, providerId: _p, ...r }) => ({
          ...r,
          ...taskItemsOf(r.kind, r.role, params, items),
        })),
    );
  }

  toDto(p: ProviderEntity): ProviderDto {
    const c = p.capabilities;
    return {
      id: p.id,
      address: p.address,
      name: p.name,
      online: p.connectedAt !== null && Date.now() - p.lastSeenAt.getTime() < this.onlineWindowMs,
      lastSeenAt: p.lastSeenAt,
      firstSeenAt: p.firstSeenAt,
      agentVersion: p.agentVersion,
      cpuCores: c.cpu.cores,
      memoryBytes: c.memoryBytes,
      diskFreeBytes: c.diskFreeBytes,
      gpus: c.gpus.map((g) => ({
        name: g.name,
        vramBytes: g.vramBytes,
        driverVersion: g.driverVersion,
        computeCapability: g.computeCapability ?? null,
      })),
      dockerVersion: c.docker.version,
      kinds: c.kinds,
      slots: c.slots,
      images: c.images,
      banned: p.bannedAt !== null,
      owner: p.owner ?? p.address,
      record: this.recordOf(p),
    };
  }

  /** The spot-check record customers and the provider see (DESIGN.md §5). */
  private recordOf(p: ProviderEntity): CheckRecordDto {
    const record = { cleanStreak: p.cleanStreak, passed: p.checksPassed, failed: p.checksFailed };
    return {
      checksPassed: p.checksPassed,
      checksFailed: p.checksFailed,
      cleanStreak: p.cleanStreak,
      reputation: reputation(record),
      checkRate: checkRate(record, this.config.verification.policy),
      banReason: p.banReason,
    };
  }
}
