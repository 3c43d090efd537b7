import { AttemptEntity } from './attempt.entity';
import { AttemptDto, JobDto, TaskDto } from './dtos/job.dto';
import { JobEntity } from './job.entity';
import { TaskEntity } from './task.entity';

/** Each kind's unit of progress; `tasks` for kinds without one. */
export const ITEM_UNITS: Record<string, string> = { render: 'frames', inference: 'rows' };

/** Progress with an ETA from the pace so far (items per second since the first lease). */
export function progressOf(job: JobEntity, now = Date.now()): JobDto['progress'] {
  const itemsTotal = job.itemsTotal || job.tasksTotal;
  const itemsDone = job.itemsTotal ? job.itemsDone : job.tasksDone;
  const running = job.state === 'RUNNING' && job.startedAt && itemsDone > 0;
  const elapsed = running ? (now - (job.startedAt as Date).getTime()) / 1000 : 0;
  return {
    tasksDone: job.tasksDone,
    tasksTotal: job.tasksTotal,
    itemsDone,
    itemsTotal,
    itemUnit: ITEM_UNITS[job.kind] ?? 'tasks',
    fraction: itemsTotal ? itemsDone / itemsTotal : 0,
    etaSeconds: running ? Math.round((elapsed / itemsDone) * (itemsTotal - itemsDone)) : null,
  };
}

export function toJobDto(job: JobEntity): JobDto {
  return {
    id: job.id,
    kind: job.kind,
    name: job.name,
    state: job.state,
    params: publicParams(job),
    priority: job.priority,
    progress: progressOf(job),
    outputs: job.outputs,
    archiveUrl: job.tasksDone > 0 ? `/v1/jobs/${job.id}/archive.zip` : null,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? '' } : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

export function toTaskDto(task: TaskEntity): TaskDto {
  return {
    id: task.id,
    jobId: task.jobId,
    index: task.index,
    state: task.state,
    role: task.role,
    params: task.params,
    image: task.image,
    cpus: task.reqCpus,
    memoryBytes: task.reqMemoryBytes,
    gpus: task.reqGpus,
    attemptCount: task.attempts,
    maxAttempts: task.maxAttempts,
    outputs: task.outputs,
    error: task.errorCode ? { code: task.errorCode, message: task.errorMessage ?? '' } : null,
  };
}

export function toAttemptDto(a: AttemptEntity): AttemptDto {
  return {
    id: a.id,
    number: a.number,
    state: a.state,
    providerId: a.providerId,
    leasedAt: a.leasedAt,
    leaseExpiresAt: a.leaseExpiresAt,
    startedAt: a.startedAt,
    finishedAt: a.finishedAt,
    durationMs: a.startedAt && a.finishedAt ? a.finishedAt.getTime() - a.startedAt.getTime() : null,
    exitCode: a.exitCode,
    failureCode: a.failureCode,
    failureMessage: a.failureMessage,
    logTail: a.logTail,
    commitment:
      a.commitmentRoot !== null && a.commitmentItems !== null
        ? { root: a.commitmentRoot, items: a.commitmentItems }
        : null,
  };
}

/** Parameters as customers read them: an inference batch's shard list (internal, long) is left out. */
function publicParams(job: JobEntity): Record<string, unknown> {
  if (job.kind !== 'inference' || !Array.isArray(job.params.shards)) return job.params;
  const { shards, ...rest } = job.params;
  return { ...rest, shards: (shards as unknown[]).length };
}
