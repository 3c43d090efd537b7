/**
 * Every failure the dashboard shows, in the coordinator's own terms: its messages read
 * `CODE: what to fix`, with the code (and the input field at fault) in `extensions`.
 */
export class ApiError extends Error {
  constructor(
    /** The coordinator's code (JOB_NOT_FOUND, BAD_INPUT…), or NETWORK / HTTP_<status> for transport failures. */
    readonly code: string,
    message: string,
    /** The input field at fault, when the coordinator named one (`frames`, `maxPrice`…). */
    readonly field?: string,
    readonly status?: number,
    /** The lines of an uploaded file at fault (a batch's rows, 1-based), when the coordinator listed them. */
    readonly lines: readonly LineProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message without its `CODE: ` prefix: what to show next to a form field. */
  get detail(): string {
    return this.message.startsWith(`${this.code}: `)
      ? this.message.slice(this.code.length + 2)
      : this.message;
  }

  get unauthenticated(): boolean {
    return this.code === 'UNAUTHENTICATED';
  }

  get notFound(): boolean {
    return this.code.endsWith('_NOT_FOUND') || this.status === 404;
  }
}

/** One line of a file the coordinator refused, e.g. `{line: 3, message: 'missing "image" …'}`. */
export interface LineProblem {
  line: number;
  message: string;
}

export interface GraphQLErrorShape {
  message?: string;
  extensions?: { code?: unknown; field?: unknown; lines?: unknown };
}

/** The first GraphQL error (the one a form can act on), keeping the others' messages. */
export function errorFromGraphQL(errors: readonly GraphQLErrorShape[], status?: number): ApiError {
  const first = errors[0] ?? {};
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'GRAPHQL_ERROR';
  const field = typeof first.extensions?.field === 'string' ? first.extensions.field : undefined;
  const message = errors.map((e) => withCode(e, code)).join('; ');
  return new ApiError(code, message, field, status, linesOf(first.extensions?.lines));
}

/** `extensions.lines` as sent (INVALID_ROWS), keeping only well-formed entries. */
function linesOf(value: unknown): LineProblem[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (l): l is LineProblem =>
      typeof l === 'object' &&
      l !== null &&
      Number.isInteger((l as LineProblem).line) &&
      typeof (l as LineProblem).message === 'string',
  );
}

function withCode(e: GraphQLErrorShape, fallback: string): string {
  const code = typeof e.extensions?.code === 'string' ? e.extensions.code : fallback;
  const message = e.message ?? '';
  return message.startsWith(`${code}:`) ? message : `${code}: ${message || 'unknown error'}`;
}

/** Whatever an HTTP endpoint answered with: `{"error": {code, message}}`, GraphQL errors, or text. */
export function errorFromResponse(status: number, statusText: string, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as {
      error?: { code?: string; message?: string };
      errors?: GraphQLErrorShape[];
    };
    if (parsed.error?.code) {
      const { code, message = '' } = parsed.error;
      return new ApiError(
        code,
        message.startsWith(`${code}:`) ? message : `${code}: ${message}`,
        undefined,
        status,
      );
    }
    if (parsed.errors?.length) return errorFromGraphQL(parsed.errors, status);
  } catch {
    // Not JSON (a proxy's error page, an empty body): describe the status.
  }
  const snippet = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
  const code = status === 401 ? 'UNAUTHENTICATED' : `HTTP_${status}`;
  return new ApiError(
    code,
    `${code}: the coordinator answered ${status}${statusText ? ` ${statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
    undefined,
    status,
  );
}

/** A request that got no answer at all. */
export function networkError(error: unknown): ApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ApiError(
    'NETWORK',
    `NETWORK: cannot reach the coordinator (${reason}); check your connection and retry`,
  );
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === 'AbortError'
    : (error as { name?: string } | null)?.name === 'AbortError';
}

/** One line for any error, for places that cannot do better. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
