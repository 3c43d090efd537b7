import { Inject, Injectable } from '@nestjs/common';
import { BillingService } from '../billing/billing.service';
import { EVENT_BUS, EventBus } from '../events/event-bus';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { JobState } from './job-state';
import { JobsRepository } from './jobs.repository';

/**
 * Ends a job once its last task is accepted: its outputs are merged by its kind and it is COMPLETED.
 * Shared by the scheduler (tasks accepted at once) and verification (tasks accepted after a check).
 */
@Injectable()
export class JobCompletionService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly workloads: WorkloadRegistry,
    private readonly billing: BillingService,
    @Inject(EVENT_BUS) private readonly events: EventBus,
  ) {}

  /** Completes the job when every task is done; true when this call completed it. */
  async completeIfDone(done: { jobId: string; tasksDone?: number; tasksTotal?: number }): Promise<boolean> {
    if (done.tasksDone === undefined || done.tasksTotal === undefined || done.tasksDone < done.tasksTotal)
      return false;
    let accountId = '';
    const completed = await this.jobs.transaction(async (tx) => {
      const job = await this.jobs.lock(tx, done.jobId);
      if (!job || job.state !== JobState.RUNNING) return false;
      accountId = job.accountId;
      const outputs = this.workloads
        .get(job.kind)
        .merge(job.params, await this.jobs.taskOutputs(tx, done.jobId));
      return this.jobs.complete(tx, done.jobId, outputs);
    });
    if (!completed) return false;
    // Subscribers learn the job is done (whoever accepted its last task published before this).
    this.events.publish({ type: 'job.updated', jobId: done.jobId, accountId });
    // What the job did not use of its reservation goes back to the customer.
    await this.billing.jobEnded(done.jobId);
    return true;
  }
}
