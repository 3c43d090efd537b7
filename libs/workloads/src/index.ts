export * from './workload';
export * from './registry';
export * from './container/container.workload';
