export * from './container-runtime';
export * from './docker-runner';
export * from './sandbox';
export * from './outputs';
export * from './log-sink';
export * from './runner-error';
