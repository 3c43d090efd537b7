import { z } from 'zod';
import {
  ContainerSpec,
  CONTAINER_INPUT_DIR,
  CONTAINER_OUTPUT_DIR,
  describeIssues,
  OutputFile,
  relativePath,
} from '@tessera/protocol';
import {
  ProviderProfile,
  TaskPlan,
  TaskSpec,
  ValidationContext,
  WorkloadInputError,
  WorkloadPlugin,
  SplitContext,
} from '../workload';

const MIB = 1024 * 1024;

const ContainerParamsSchema = z.strictObject({
  image: z.string().min(1).max(300),
  command: z.array(z.string().max(4096)).min(1, 'at least one argument').max(256),
  env: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names are letters, digits and _')
        .max(128),
      z.string().max(4096),
    )
    .refine((env) => Object.keys(env).length <= 64, 'at most 64 variables')
    .refine(
      (env) => !Object.keys(env).some((k) => k.startsWith('TESSERA_')),
      'TESSERA_* variables are reserved',
    )
    .default({}),
  inputs: z
    .array(
      z.strictObject({
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
        path: relativePath,
      }),
    )
    .max(1000)
    .default([]),
  tasks: z.number().int().min(1).default(1),
  cpus: z.number().positive().max(256).default(1),
  memoryMb: z
    .number()
    .int()
    .min(16)
    .max(1024 * 1024)
    .default(512),
  gpus: z.number().int().min(0).max(16).default(0),
  minVramMb: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(0),
  timeoutSec: z.number().int().min(1).default(600),
  outputLimitMb: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024)
    .default(256),
});

export type ContainerParams = z.infer<typeof ContainerParamsSchema> & {
  inputs: { sha256: string; path: string; size: number }[];
};

interface ContainerTaskParams {
  command: string[];
  env: Record<string, string>;
  taskCount: number;
  outputLimitMb: number;
}

/**
 * `container`: run an allow-listed image with a command over input blobs; every file the command
 * writes to /out is a result. With `tasks: N` the same command runs N times, each with
 * TESSERA_TASK_INDEX set, which is how a customer shards embarrassingly parallel work.
 */
export class ContainerWorkload implements WorkloadPlugin<ContainerParams> {
  readonly kind = 'container';

  async validate(input: unknown, ctx: ValidationContext): Promise<ContainerParams> {
    const parsed = ContainerParamsSchema.safeParse(input);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.');
      throw new WorkloadInputError('INVALID_PARAMETER', describeIssues(parsed.error), field);
    }
    const params = parsed.data;
    if (!ctx.policy.allowedImages.includes(params.image)) {
      throw new WorkloadInputError(
        'IMAGE_NOT_ALLOWED',
        `image ${params.image} is not on this coordinator's allow-list (allowed: ${ctx.policy.allowedImages.join(', ') || 'none'})`,
        'image',
      );
    }
    if (params.tasks > ctx.policy.maxTasksPerJob) {
      throw new WorkloadInputError(
        'TOO_MANY_TASKS',
        `${params.tasks} tasks exceeds the limit of ${ctx.policy.maxTasksPerJob} per job`,
        'tasks',
      );
    }
    if (params.timeoutSec > ctx.policy.maxTimeoutSec) {
      throw new WorkloadInputError(
        'LIMIT_EXCEEDED',
        `timeoutSec ${params.timeoutSec} exceeds the limit of ${ctx.policy.maxTimeoutSec} s`,
        'timeoutSec',
      );
    }
    const paths = new Set<string>();
    const inputs: ContainerParams['inputs'] = [];
    for (const [i, input] of params.inputs.entries()) {
      if (paths.has(input.path)) {
        throw new WorkloadInputError(
          'INVALID_PARAMETER',
          `input path ${input.path} is used twice`,
          `inputs.${i}.path`,
        );
      }
      paths.add(input.path);
      const blob = await ctx.lookupBlob(input.sha256);
      if (!blob) {
        throw new WorkloadInputError(
          'INPUT_NOT_FOUND',
          `input ${input.path}: no blob ${input.sha256} was uploaded by this account (upload it first)`,
          `inputs.${i}.sha256`,
        );
      }
      inputs.push({ ...input, size: blob.size });
    }
    return { ...params, inputs };
  }

  split(params: ContainerParams, _ctx: SplitContext): TaskPlan[] {
    // Each task carries what its container needs, so a lease never has to read the job back.
    const taskParams: ContainerTaskParams = {
      command: params.command,
      env: params.env,
      taskCount: params.tasks,
      outputLimitMb: params.outputLimitMb,
    };
    return Array.from({ length: params.tasks }, (_, index) => ({
      index,
      params: { ...taskParams },
      image: params.image,
      requirements: {
        cpus: params.cpus,
        memoryBytes: params.memoryMb * MIB,
        gpus: params.gpus,
        vramBytes: params.minVramMb * MIB,
      },
      timeoutSec: params.timeoutSec,
      inputs: params.inputs,
      items: 1,
    }));
  }

  containerSpec(task: TaskSpec, _provider: ProviderProfile): ContainerSpec {
    const job = task.params as unknown as ContainerTaskParams;
    return {
      image: task.image,
      command: job.command,
      env: {
        ...job.env,
        TESSERA_TASK_INDEX: String(task.index),
        TESSERA_TASK_COUNT: String(job.taskCount),
        TESSERA_INPUT_DIR: CONTAINER_INPUT_DIR,
        TESSERA_OUTPUT_DIR: CONTAINER_OUTPUT_DIR,
      },
      inputs: task.inputs,
      limits: {
        cpus: task.requirements.cpus,
        memoryBytes: task.requirements.memoryBytes,
        pids: 256,
        timeoutSec: task.timeoutSec,
        tmpBytes: 64 * MIB,
        outputBytes: job.outputLimitMb * MIB,
        outputFiles: 10_000,
      },
      gpus: task.requirements.gpus,
    };
  }

  merge(params: ContainerParams, tasks: { index: number; outputs: OutputFile[] }[]): OutputFile[] {
    const ordered = [...tasks].sort((a, b) => a.index - b.index);
    if (params.tasks === 1) return ordered[0]?.outputs ?? [];
    return ordered.flatMap((t) => t.outputs.map((o) => ({ ...o, path: `task-${t.index}/${o.path}` })));
  }
}
