export * from './database';
export * from './graphql-client';
export * from './test-agent';
export * from './processes';
export * from './eventually';
export * from './subscription-recorder';
export * from './ocr-fixture';
export * from './cheating-provider';
