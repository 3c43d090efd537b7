export * from './constants';
export { LocalChain, LocalChainError, startLocalChain } from './local-chain';
export type { LocalChainOptions } from './local-chain';
export { createTestToken } from './test-token';
export type { TestToken, TestTokenOptions } from './test-token';
export type { Commitment } from './bank/slot-clock';
export { splToken } from './spl-token';
export type { ChainInfo } from './cli/run-chain';
