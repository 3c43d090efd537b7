export * from './thresholds';
export * from './image-compare';
export * from './row-compare';
export * from './sampling';
