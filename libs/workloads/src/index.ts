export * from './workload';
export * from './registry';
export * from './container/container.workload';
export * from './render/render.workload';
export * from './render/frames';
export * from './render/image-check';
