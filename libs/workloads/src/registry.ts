import { ContainerWorkload } from './container/container.workload';
import { InferenceWorkload, InferenceWorkloadOptions } from './inference/inference.workload';
import { RenderWorkload, RenderWorkloadOptions } from './render/render.workload';
import { WorkloadPlugin } from './workload';

export interface WorkloadOptions {
  render?: Partial<RenderWorkloadOptions>;
  inference?: Partial<InferenceWorkloadOptions>;
}

export const DEFAULT_RENDER_OPTIONS: RenderWorkloadOptions = {
  image: 'tessera/blender:3.4',
  gpuImage: 'tessera/blender:3.4-cuda',
  targetChunkSeconds: 60,
  checkRegions: 5,
  checkRegionFraction: 1 / 16,
};

export const DEFAULT_INFERENCE_OPTIONS: InferenceWorkloadOptions = {
  image: 'tessera/onnx:1',
  gpuImage: 'tessera/onnx:1-cuda',
  targetShardSeconds: 30,
  maxRows: 20_000,
  checkRows: 6,
};

/** Every job kind this build knows; a new kind is a new module registered here. */
export function createWorkloadRegistry(options: WorkloadOptions = {}): ReadonlyMap<string, WorkloadPlugin> {
  const plugins: WorkloadPlugin[] = [
    new ContainerWorkload() as WorkloadPlugin,
    new RenderWorkload({ ...DEFAULT_RENDER_OPTIONS, ...options.render }) as WorkloadPlugin,
    new InferenceWorkload({ ...DEFAULT_INFERENCE_OPTIONS, ...options.inference }) as WorkloadPlugin,
  ];
  return new Map(plugins.map((p) => [p.kind, p]));
}
