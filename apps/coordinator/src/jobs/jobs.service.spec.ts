import { Logger } from '@nestjs/common';
import {
  ContainerWorkload,
  TaskPlan,
  WorkloadInputError,
  WorkloadInputErrorCode,
  WorkloadPlugin,
  WorkloadPolicy,
} from '@tessera/workloads';
import type { EntityManager } from 'typeorm';
import { Actor, ANONYMOUS } from '../auth/actor';
import { BlobsService } from '../blobs/blobs.service';
import { AppError } from '../common/app-error';
import { CoordinatorConfig } from '../config/config';
import { CoordinatorEvent, EventBus } from '../events/event-bus';
import { MetricsService } from '../health/metrics.service';
import { WorkloadRegistry } from '../workloads/workloads.module';
import { JobEntity } from './job.entity';
import { JobState } from './job-state';
import { JobsRepository, NewJob } from './jobs.repository';
import { BillingService } from '../billing/billing.service';
import { ModelsService } from '../models/models.service';
import { ProvidersService } from '../providers/providers.service';
import { SceneInspector } from '../render/scene-inspector.service';
import { BlobStore } from '../blobs/blob-store';
import { JobsService } from './jobs.service';

const ACCOUNT = '11111111-1111-4111-8111-111111111111';
const OTHER_ACCOUNT = '22222222-2222-4222-8222-222222222222';
const JOB_ID = '33333333-3333-4333-8333-333333333333';
const SHA = 'ab'.repeat(32);
const customer: Actor = { kind: 'account', accountId: ACCOUNT };

const policy: WorkloadPolicy = {
  allowedImages: ['tessera/toolbox:1'],
  maxTasksPerJob: 5,
  maxTimeoutSec: 3600,
};

function job(overrides: Partial<JobEntity> = {}): JobEntity {
  return Object.assign(new JobEntity(), {
    id: JOB_ID,
    accountId: ACCOUNT,
    kind: 'container',
    name: null,
    state: JobState.QUEUED,
    params: {},
    priority: 0,
    tasksTotal: 1,
    tasksDone: 0,
    outputs: [],
    errorCode: null,
    errorMessage: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  });
}

/** A plugin that refuses every job with the given code, to check how each code reaches the customer. */
function refusingPlugin(code: WorkloadInputErrorCode, field?: string): WorkloadPlugin {
  return {
    kind: 'refusing',
    validate: () => Promise.reject(new WorkloadInputError(code, `refused with ${code}`, field)),
    split: () => [],
    containerSpec: () => {
      throw new Error('not used');
    },
    merge: () => [],
  };
}

describe('JobsService', () => {
  let sut: JobsService;
  let mocks: {
    jobs: { [K in keyof JobsRepository]: jest.Mock };
    blobs: { lookupForAccount: jest.Mock };
    metrics: { jobsSubmitted: { inc: jest.Mock } };
    published: CoordinatorEvent[];
  };
  let plugins: Map<string, WorkloadPlugin>;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    plugins = new Map<string, WorkloadPlugin>([['container', new ContainerWorkload() as WorkloadPlugin]]);
    const published: CoordinatorEvent[] = [];
    const bus: EventBus = { publish: (e) => void published.push(e), subscribe: () => () => undefined };
    mocks = {
      jobs: {
        create: jest.fn((j: NewJob) =>
          Promise.resolve(job({ accountId: j.accountId, tasksTotal: j.tasks.length })),
        ),
        findById: jest.fn(() => Promise.resolve(null)),
        lock: jest.fn(() => Promise.resolve(undefined)),
        end: jest.fn(() => Promise.resolve({ ended: true, liveAttempts: [] })),
        transaction: jest.fn((work: (tx: EntityManager) => Promise<unknown>) => work({} as EntityManager)),
        listForAccount: jest.fn(),
        tasksOf: jest.fn(),
        findTask: jest.fn(),
        attemptsOf: jest.fn(),
        attemptsOfProvider: jest.fn(),
        taskOutputs: jest.fn(),
        acceptedOutputs: jest.fn(),
        complete: jest.fn(),
        queueDepth: jest.fn(),
      },
      blobs: { lookupForAccount: jest.fn(() => Promise.resolve({ size: 10 })) },
      metrics: { jobsSubmitted: { inc: jest.fn() } },
      published,
    };
    sut = new JobsService(
      mocks.jobs as unknown as JobsRepository,
      mocks.blobs as unknown as BlobsService,
      new WorkloadRegistry(plugins),
      mocks.metrics as unknown as MetricsService,
      policy,
      bus,
      {
        scheduler: { taskMaxAttempts: 4 },
        market: { currency: 'TSR', renderPerMegapixelSample: 0.00001 },
      } as CoordinatorConfig,
      { enabled: false } as SceneInspector,
      {} as BlobStore,
      { countOnline: jest.fn(() => Promise.resolve(1)) } as unknown as ProvidersService,
      { lookup: jest.fn(() => Promise.resolve(undefined)) } as unknown as ModelsService,
      {
        capOf: () => 0n,
        reserve: jest.fn(() => Promise.resolve()),
        jobEnded: jest.fn(() => Promise.resolve()),
      } as unknown as BillingService,
    );
  });

  async function submitError(actor: Actor, kind: string, input: unknown): Promise<AppError> {
    const error = await sut.submit(actor, kind, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }

  describe('submit', () => {
    it('queues a valid job with one task per requested run and announces it', async () => {
      const created = await sut.submit(
        customer,
        'container',
        { image: 'tessera/toolbox:1', command: ['echo', 'hi'], tasks: 3 },
        { name: 'batch', priority: 5 },
      );

      expect(created.id).toBe(JOB_ID);
      expect(mocks.jobs.create).toHaveBeenCalledTimes(1);
      const stored = mocks.jobs.create.mock.calls[0][0] as NewJob;
      expect(stored).toMatchObject({
        accountId: ACCOUNT,
        kind: 'container',
        name: 'batch',
        priority: 5,
        maxAttempts: 4,
      });
      expect(stored.tasks.map((t: TaskPlan) => t.index)).toEqual([0, 1, 2]);
      expect(mocks.published).toEqual([
        { type: 'job.updated', jobId: JOB_ID, accountId: ACCOUNT },
        { type: 'work.queued', kind: 'container' },
      ]);
      expect(mocks.metrics.jobsSubmitted.inc).toHaveBeenCalledWith({ kind: 'container' });
    });

    it.each([
      ['an anonymous caller', ANONYMOUS],
      ['a provider agent', { kind: 'provider', providerId: ACCOUNT } as Actor],
    ])('refuses %s with UNAUTHENTICATED and stores nothing', async (_who, actor) => {
      const error = await submitError(actor, 'container', { image: 'tessera/toolbox:1', command: ['true'] });
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(mocks.jobs.create).not.toHaveBeenCalled();
      expect(mocks.published).toEqual([]);
    });

    it.each([
      ['INVALID_PARAMETER', 'BAD_INPUT'],
      ['IMAGE_NOT_ALLOWED', 'IMAGE_NOT_ALLOWED'],
      ['INPUT_NOT_FOUND', 'INPUT_NOT_FOUND'],
      ['TOO_MANY_TASKS', 'TOO_MANY_TASKS'],
      ['LIMIT_EXCEEDED', 'LIMIT_EXCEEDED'],
    ] as const)(
      'maps the workload error %s to %s with its field and stores nothing',
      async (code, expected) => {
        plugins.set('refusing', refusingPlugin(code, 'inputs.0.sha256'));
        const error = await submitError(customer, 'refusing', {});
        expect(error.code).toBe(expected);
        expect(error.message).toBe(`refused with ${code}`);
        expect(error.field).toBe('inputs.0.sha256');
        expect(mocks.jobs.create).not.toHaveBeenCalled();
        expect(mocks.published).toEqual([]);
        expect(mocks.metrics.jobsSubmitted.inc).not.toHaveBeenCalled();
      },
    );

    it('passes an unexpected validation failure through untouched (a bug, not the customer’s fault)', async () => {
      const boom = new Error('database is down');
      plugins.set('broken', { ...refusingPlugin('LIMIT_EXCEEDED'), validate: () => Promise.reject(boom) });
      await expect(sut.submit(customer, 'broken', {})).rejects.toBe(boom);
      expect(mocks.jobs.create).not.toHaveBeenCalled();
    });

    it('refuses an unknown kind with UNKNOWN_JOB_KIND naming the known ones', async () => {
      const error = await submitError(customer, 'render', {});
      expect(error.code).toBe('UNKNOWN_JOB_KIND');
      expect(error.message).toContain('container');
    });

    it('refuses an image off the allow-list, listing the allowed images', async () => {
      const error = await submitError(customer, 'container', { image: 'evil/miner:latest', command: ['x'] });
      expect(error.code).toBe('IMAGE_NOT_ALLOWED');
      expect(error.field).toBe('image');
      expect(error.message).toContain('tessera/toolbox:1');
    });

    it('looks input blobs up in the caller’s own account only', async () => {
      mocks.blobs.lookupForAccount.mockResolvedValueOnce(undefined);
      const error = await submitError(customer, 'container', {
        image: 'tessera/toolbox:1',
        command: ['cat', '/in/data'],
        inputs: [{ sha256: SHA, path: 'data' }],
      });
      expect(mocks.blobs.lookupForAccount).toHaveBeenCalledWith(ACCOUNT, SHA);
      expect(error.code).toBe('INPUT_NOT_FOUND');
      expect(error.field).toBe('inputs.0.sha256');
    });

    it('stores input sizes from the blob store, not from the customer', async () => {
      mocks.blobs.lookupForAccount.mockResolvedValueOnce({ size: 4242 });
      await sut.submit(customer, 'container', {
        image: 'tessera/toolbox:1',
        command: ['true'],
        inputs: [{ sha256: SHA, path: 'data' }],
      });
      const stored = mocks.jobs.create.mock.calls[0][0] as NewJob;
      expect(stored.tasks[0].inputs).toEqual([{ sha256: SHA, path: 'data', size: 4242 }]);
    });
  });

  describe('cancel', () => {
    it('ends a running job and tells the agents running its tasks to stop', async () => {
      mocks.jobs.lock.mockResolvedValue(job({ state: JobState.RUNNING }));
      mocks.jobs.end.mockResolvedValue({
        ended: true,
        liveAttempts: [{ id: 'a1', providerId: 'p1' }],
      });
      mocks.jobs.findById.mockResolvedValue(job({ state: JobState.CANCELLED }));

      const result = await sut.cancel(customer, JOB_ID);

      expect(result.state).toBe(JobState.CANCELLED);
      expect(mocks.jobs.end).toHaveBeenCalledWith(expect.anything(), JOB_ID, JobState.CANCELLED, null);
      expect(mocks.published).toEqual([
        {
          type: 'attempt.cancel',
          providerId: 'p1',
          attemptId: 'a1',
          reason: 'the customer cancelled the job',
        },
        { type: 'job.updated', jobId: JOB_ID, accountId: ACCOUNT },
      ]);
    });

    it("reports another account's job as not found and changes nothing", async () => {
      mocks.jobs.lock.mockResolvedValue(job({ accountId: OTHER_ACCOUNT, state: JobState.RUNNING }));
      await expect(sut.cancel(customer, JOB_ID)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
      expect(mocks.jobs.end).not.toHaveBeenCalled();
      expect(mocks.published).toEqual([]);
    });

    it.each([JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED])(
      'refuses to cancel a %s job with JOB_ALREADY_FINISHED',
      async (state) => {
        mocks.jobs.lock.mockResolvedValue(job({ state }));
        await expect(sut.cancel(customer, JOB_ID)).rejects.toMatchObject({ code: 'JOB_ALREADY_FINISHED' });
        expect(mocks.jobs.end).not.toHaveBeenCalled();
      },
    );

    it('requires an account', async () => {
      await expect(sut.cancel(ANONYMOUS, JOB_ID)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(mocks.jobs.transaction).not.toHaveBeenCalled();
    });
  });

  describe('get', () => {
    it("reports another account's job exactly like a missing one", async () => {
      mocks.jobs.findById.mockResolvedValue(job({ accountId: OTHER_ACCOUNT }));
      const foreign = await sut.get(customer, JOB_ID).catch((e: AppError) => e);
      mocks.jobs.findById.mockResolvedValue(null);
      const missing = await sut.get(customer, JOB_ID).catch((e: AppError) => e);
      expect(foreign).toMatchObject({ code: 'JOB_NOT_FOUND' });
      expect((foreign as AppError).message).toBe((missing as AppError).message);
    });

    it('answers JOB_NOT_FOUND for an id that is not a uuid without querying', async () => {
      await expect(sut.get(customer, "1' OR '1'='1")).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
      expect(mocks.jobs.findById).not.toHaveBeenCalled();
    });
  });
});
