import type { ErrorCode } from '@tessera/protocol';

/** A refusal sent back to an agent as an `error` frame; the agent's request changed nothing. */
export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}
