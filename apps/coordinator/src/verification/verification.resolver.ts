import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import { JobDto, TaskDto } from '../jobs/dtos/job.dto';
import { GqlContext } from '../graphql/gql-context';
import { JobChecksDto, VerificationDto } from './dtos/verification.dto';
import { VerificationState } from './verification.entity';
import { toVerificationDto } from './verification.mapper';
import { VerificationRepository } from './verification.repository';

/** One batch loader per GraphQL request (keyed on its context). */
const loaders = new WeakMap<object, DataLoader<string, VerificationDto[]>>();

/**
 * Spot-checks as customers and providers see them: the checks of each task (Task.verifications)
 * and a job's tally (Job.checks). Ownership is the parent's: a task or job is only resolved for
 * whoever may read it.
 */
@Resolver(() => TaskDto)
export class TaskVerificationsResolver {
  constructor(private readonly repo: VerificationRepository) {}

  @ResolveField(() => [VerificationDto], {
    description:
      'Spot-checks of this task, oldest first (a failed one means a provider’s result was rejected).',
  })
  verifications(@Parent() task: TaskDto, @Context() context: GqlContext): Promise<VerificationDto[]> {
    let loader = loaders.get(context);
    if (!loader) {
      // Batching only, no cache: a subscription keeps its context for the whole connection, and a
      // cached answer would show a task's checks as they were at its first event.
      loader = new DataLoader(
        async (taskIds: readonly string[]) => {
          const all = await this.repo.ofTasks(taskIds);
          return taskIds.map((id) => all.filter((v) => v.taskId === id).map(toVerificationDto));
        },
        { cache: false },
      );
      loaders.set(context, loader);
    }
    return loader.load(task.id);
  }
}

@Resolver(() => JobDto)
export class JobChecksResolver {
  constructor(private readonly repo: VerificationRepository) {}

  @ResolveField(() => JobChecksDto, { description: "Spot-checks of this job's tasks, by outcome." })
  async checks(@Parent() job: JobDto): Promise<JobChecksDto> {
    const c = await this.repo.countsOfJob(job.id);
    const n = (s: VerificationState) => c[s] ?? 0;
    const pending = n(VerificationState.PROVING) + n(VerificationState.CHECKING);
    const passed = n(VerificationState.PASSED);
    const failed = n(VerificationState.FAILED);
    const unresolved = n(VerificationState.UNRESOLVED);
    return {
      total: pending + passed + failed + unresolved + n(VerificationState.CANCELLED),
      pending,
      passed,
      failed,
      unresolved,
    };
  }
}
