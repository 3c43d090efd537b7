import { FailureCode } from '@tessera/protocol';

/**
 * A failure of the container runtime with the protocol's failure code, so the job loop can report it
 * as `task.failed` without guessing. The message is meant for the customer or the GPU owner and
 * always says what went wrong and, where there is one, what to do about it.
 */
export class RunnerError extends Error {
  override readonly name = 'RunnerError';

  constructor(
    readonly code: FailureCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The HTTP status of a Docker Engine API error from dockerode, if it carries one. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** A Docker error's message without dockerode's `(HTTP code 404) no such container - ` prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message.trim();
  return err instanceof Error ? err.message.trim() : String(err);
}
