import { Injectable } from '@nestjs/common';
import { Counter, Gauge, collectDefaultMetrics, Registry } from 'prom-client';

/** Prometheus metrics, served at /metrics. One registry per app instance (tests create many). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly tasksLeased = new Counter({
    name: 'tessera_tasks_leased_total',
    help: 'Tasks leased to providers',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly tasksCompleted = new Counter({
    name: 'tessera_attempts_finished_total',
    help: 'Attempts reported finished by providers, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly leasesExpired = new Counter({
    name: 'tessera_leases_expired_total',
    help: 'Leases that ran out without a heartbeat',
    registers: [this.registry],
  });
  readonly jobsSubmitted = new Counter({
    name: 'tessera_jobs_submitted_total',
    help: 'Jobs accepted by the API',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly agentsConnected = new Gauge({
    name: 'tessera_agents_connected',
    help: 'Authenticated agent sockets on this replica',
    registers: [this.registry],
  });
  readonly gatewayRejected = new Counter({
    name: 'tessera_gateway_rejected_messages_total',
    help: 'Agent messages refused, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'tessera_tasks_queued',
    help: 'Tasks waiting for a provider, by kind (sampled on scrape)',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tessera_coordinator_' });
  }
}
