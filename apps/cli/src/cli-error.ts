/**
 * An error the user can act on. Its message is printed as is (one line, `CODE: what to fix` when
 * the coordinator sent a code) and the process exits with `exitCode`; nothing else is ever shown,
 * in particular no stack trace.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The one line to show for any failure: a CliError's message, or the bare message of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
