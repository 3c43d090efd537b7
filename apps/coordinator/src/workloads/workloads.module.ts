import { Global, Module } from '@nestjs/common';
import { createWorkloadRegistry, WorkloadPlugin, WorkloadPolicy } from '@tessera/workloads';
import { COORDINATOR_CONFIG, CoordinatorConfig } from '../config/config';
import { AppError } from '../common/app-error';

export const WORKLOAD_POLICY = Symbol('WORKLOAD_POLICY');

/** The job kinds this coordinator serves, from libs/workloads. */
export class WorkloadRegistry {
  /** Fixed with the plugins; read on every completion. */
  private readonly checked: readonly string[];

  constructor(private readonly plugins: ReadonlyMap<string, WorkloadPlugin>) {
    this.checked = [...plugins.values()].filter((p) => p.checkOutputs || p.commitItems).map((p) => p.kind);
  }

  get(kind: string): WorkloadPlugin {
    const plugin = this.plugins.get(kind);
    if (!plugin) {
      throw new AppError(
        'UNKNOWN_JOB_KIND',
        `unknown job kind "${kind}" (known: ${[...this.plugins.keys()].join(', ')})`,
      );
    }
    return plugin;
  }

  kinds(): string[] {
    return [...this.plugins.keys()];
  }

  /** Kinds whose results are checked before they count (output checks or commitments). */
  checkedKinds(): readonly string[] {
    return this.checked;
  }
}

@Global()
@Module({
  providers: [
    {
      provide: WorkloadRegistry,
      inject: [COORDINATOR_CONFIG],
      useFactory: (c: CoordinatorConfig) =>
        new WorkloadRegistry(
          createWorkloadRegistry({
            render: {
              image: c.render.image,
              gpuImage: c.render.gpuImage,
              targetChunkSeconds: c.render.chunkSeconds,
              checkRegions: c.verification.renderRegions,
            },
            inference: {
              image: c.inference.image,
              gpuImage: c.inference.gpuImage,
              targetShardSeconds: c.inference.shardSeconds,
              maxRows: c.inference.maxRows,
              checkRows: c.verification.inferenceRows,
            },
          }),
        ),
    },
    {
      provide: WORKLOAD_POLICY,
      inject: [COORDINATOR_CONFIG],
      useFactory: (c: CoordinatorConfig): WorkloadPolicy => ({
        allowedImages: c.workloads.allowedImages,
        maxTasksPerJob: c.workloads.maxTasksPerJob,
        maxTimeoutSec: c.workloads.maxTimeoutSec,
      }),
    },
  ],
  exports: [WorkloadRegistry, WORKLOAD_POLICY],
})
export class WorkloadsModule {}
