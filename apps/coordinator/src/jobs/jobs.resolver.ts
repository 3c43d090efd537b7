import { Inject } from '@nestjs/common';
import {
  Args,
  Context,
  ID,
  Mutation,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { Actor, requireAccount } from '../auth/actor';
import { CurrentActor } from '../auth/current-actor.decorator';
import { AppError } from '../common/app-error';
import { CoordinatorEvent, EVENT_BUS, EventBus } from '../events/event-bus';
import { endAfter, eventStream, mapAsync, prepend } from '../events/event-stream';
import { GqlContext } from '../graphql/gql-context';
import { AttemptDto, JobDto, JobEventDto, ProviderRefDto, QueueDepthDto, TaskDto } from './dtos/job.dto';
import { JobsArgs } from './dtos/jobs.args';
import { SubmitContainerJobInput } from './dtos/submit-container-job.input';
import { toAttemptDto, toJobDto, toTaskDto } from './jobs.mapper';
import { JobsService } from './jobs.service';

type JobChange = Extract<CoordinatorEvent, { type: 'job.updated' | 'task.updated' }>;
type KeyRevoked = Extract<CoordinatorEvent, { type: 'apikey.revoked' }>;

@Resolver(() => JobDto)
export class JobsResolver {
  constructor(
    private readonly jobsService: JobsService,
    @Inject(EVENT_BUS) private readonly events: EventBus,
  ) {}

  @Mutation(() => JobDto, {
    description: 'Queues a container job: an allow-listed image, a command, input blobs.',
  })
  async submitContainerJob(
    @CurrentActor() actor: Actor,
    @Args('input') input: SubmitContainerJobInput,
  ): Promise<JobDto> {
    const { name, priority, env, ...params } = input;
    const envMap = Object.fromEntries((env ?? []).map((e) => [e.name, e.value]));
    return toJobDto(
      await this.jobsService.submit(actor, 'container', { ...params, env: envMap }, { name, priority }),
    );
  }

  @Mutation(() => JobDto, { description: 'Cancels a queued or running job; running tasks are stopped.' })
  async cancelJob(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<JobDto> {
    return toJobDto(await this.jobsService.cancel(actor, id));
  }

  @Query(() => JobDto)
  async job(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<JobDto> {
    return toJobDto(await this.jobsService.get(actor, id));
  }

  @Query(() => [JobDto], { description: 'Your jobs, newest first.' })
  async jobs(@CurrentActor() actor: Actor, @Args() args: JobsArgs): Promise<JobDto[]> {
    return (await this.jobsService.list(actor, args)).map(toJobDto);
  }

  @Query(() => TaskDto)
  async task(@CurrentActor() actor: Actor, @Args('id', { type: () => ID }) id: string): Promise<TaskDto> {
    return toTaskDto(await this.jobsService.task(actor, id));
  }

  @Query(() => [QueueDepthDto], { description: 'Tasks waiting and running, by job kind, across the market.' })
  queueDepth(): Promise<QueueDepthDto[]> {
    return this.jobsService.queueDepth();
  }

  @Query(() => [String], { description: 'Images jobs may run on this coordinator.' })
  allowedImages(): readonly string[] {
    return this.jobsService.allowedImages();
  }

  @ResolveField(() => [TaskDto])
  async tasks(@CurrentActor() actor: Actor, @Parent() job: JobDto): Promise<TaskDto[]> {
    return (await this.jobsService.tasks(actor, job.id)).map(toTaskDto);
  }

  @Subscription(() => JobEventDto, {
    description:
      'State changes of one of your jobs and its tasks, starting with its current state. Send the API key as the ' +
      'connection parameter "authorization".',
  })
  async jobEvents(
    @CurrentActor() actor: Actor,
    @Args('jobId', { type: () => ID }) jobId: string,
  ): Promise<AsyncIterator<{ jobEvents: JobEventDto }>> {
    const accountId = requireAccount(actor);
    // Check ownership before subscribing, so a foreign job id fails loudly instead of staying silent.
    await this.jobsService.get(actor, jobId);
    const apiKeyId = actor.kind === 'account' ? actor.apiKeyId : undefined;
    const changes = eventStream(
      this.events,
      (e): e is JobChange | KeyRevoked =>
        ((e.type === 'job.updated' || e.type === 'task.updated') &&
          e.jobId === jobId &&
          e.accountId === accountId) ||
        (e.type === 'apikey.revoked' && apiKeyId !== undefined && e.apiKeyId === apiKeyId),
    );
    // Each event only names what changed; read the current state so a late or dropped event loses
    // nothing. A revoked key ends the subscription with UNAUTHENTICATED, as its next request would.
    return mapAsync(
      endAfter(
        prepend<JobChange | KeyRevoked>({ type: 'job.updated', jobId, accountId }, changes),
        (e) => e.type === 'apikey.revoked',
      ),
      async (event) => ({
        jobEvents:
          event.type === 'apikey.revoked'
            ? // graphql-js reports an Error in place of a value as that field's error.
              (new AppError(
                'UNAUTHENTICATED',
                'the API key this subscription was opened with was revoked; sign in again',
              ) as unknown as JobEventDto)
            : {
                job: toJobDto(await this.jobsService.get(actor, jobId)),
                task:
                  event.type === 'task.updated'
                    ? toTaskDto(await this.jobsService.task(actor, event.taskId))
                    : null,
              },
      }),
    );
  }
}

@Resolver(() => TaskDto)
export class TasksResolver {
  @ResolveField(() => [AttemptDto])
  async attempts(@Parent() task: TaskDto, @Context() context: GqlContext): Promise<AttemptDto[]> {
    return (await context.loaders.attemptsByTask.load(task.id)).map(toAttemptDto);
  }
}

@Resolver(() => AttemptDto)
export class AttemptsResolver {
  @ResolveField(() => ProviderRefDto, { description: 'Who ran it.' })
  provider(@Parent() attempt: AttemptDto, @Context() context: GqlContext): Promise<ProviderRefDto> {
    return context.loaders.providerById.load(attempt.providerId);
  }
}
