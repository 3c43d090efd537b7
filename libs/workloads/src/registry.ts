import { ContainerWorkload } from './container/container.workload';
import { WorkloadPlugin } from './workload';

/** Every job kind this build knows; a new kind is a new module registered here. */
export function createWorkloadRegistry(): ReadonlyMap<string, WorkloadPlugin> {
  const plugins: WorkloadPlugin[] = [new ContainerWorkload() as WorkloadPlugin];
  return new Map(plugins.map((p) => [p.kind, p]));
}
