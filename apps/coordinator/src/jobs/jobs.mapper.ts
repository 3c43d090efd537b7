import { AttemptEntity } from './attempt.entity';
import { AttemptDto, JobDto, TaskDto } from './dtos/job.dto';
import { JobEntity } from './job.entity';
import { TaskEntity } from './task.entity';

export function toJobDto(job: JobEntity): JobDto {
  return {
    id: job.id,
    kind: job.kind,
    name: job.name,
    state: job.state,
    params: job.params,
    priority: job.priority,
    progress: {
      tasksDone: job.tasksDone,
      tasksTotal: job.tasksTotal,
      fraction: job.tasksTotal ? job.tasksDone / job.tasksTotal : 0,
    },
    outputs: job.outputs,
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
  };
}
