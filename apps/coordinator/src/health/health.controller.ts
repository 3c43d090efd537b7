import { Controller, Get, Header, HttpException, HttpStatus } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobsRepository } from '../jobs/jobs.repository';
import { MetricsService } from './metrics.service';

@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: MetricsService,
    private readonly jobs: JobsRepository,
  ) {}

  /** Liveness and readiness: 200 when the database answers, 503 otherwise. */
  @Get('health')
  async health(): Promise<{ status: string; database: string }> {
    try {
      await this.db.query('SELECT 1');
      return { status: 'ok', database: 'up' };
    } catch {
      throw new HttpException({ status: 'unavailable', database: 'down' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  async scrape(): Promise<string> {
    this.metrics.queueDepth.reset();
    for (const row of await this.jobs.queueDepth())
      this.metrics.queueDepth.set({ kind: row.kind }, row.queued);
    return this.metrics.registry.metrics();
  }
}
