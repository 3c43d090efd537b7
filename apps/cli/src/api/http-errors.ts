import { CliError } from '../cli-error';
import type { CliConfig } from '../config/cli-config';

/** One error line from whatever the coordinator sent: `{"error": {code, message}}`, GraphQL errors, or text. */
export function errorLineFromBody(status: number, statusText: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { code?: string; message?: string };
      errors?: { message?: string; extensions?: { code?: unknown } }[];
    };
    if (parsed.error?.message) return withCode(parsed.error.code, parsed.error.message);
    if (parsed.errors?.length) return graphqlErrorLine(parsed.errors);
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall through to the status line.
  }
  const snippet = body.trim().replace(/\s+/g, ' ').slice(0, 120);
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}${snippet ? `: ${snippet}` : ''}`;
}

/** The coordinator's messages already read `CODE: what to fix`; others get their code in front. */
export function graphqlErrorLine(errors: { message?: string; extensions?: { code?: unknown } }[]): string {
  return errors
    .map((e) =>
      withCode(typeof e.extensions?.code === 'string' ? e.extensions.code : undefined, e.message ?? ''),
    )
    .join('; ');
}

function withCode(code: string | undefined, message: string): string {
  if (!code || message.startsWith(`${code}:`)) return message || code || 'unknown error';
  return `${code}: ${message}`;
}

/** Authentication errors name where the key came from, so the user knows which one to fix. */
export function apiError(line: string, config: CliConfig): CliError {
  const hint =
    line.startsWith('UNAUTHENTICATED') && config.apiKeySource ? ` (API key from ${config.apiKeySource})` : '';
  return new CliError(`${line}${hint}`);
}

/** A request that never got an answer: say which coordinator, and why, in one line. */
export function unreachable(config: CliConfig, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError')
    return new CliError(`the coordinator at ${config.url} did not answer in time`);
  const reason =
    err?.cause?.code ?? err?.cause?.message ?? (error as { code?: string })?.code ?? err?.message;
  return new CliError(
    `cannot reach the coordinator at ${config.url} (${reason ?? 'network error'}): is it running? Set --url or TESSERA_URL`,
  );
}

export function authHeader(config: CliConfig): Record<string, string> {
  return config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
}

/** A coordinator URL for an API path; a base URL's path prefix (behind a proxy) is kept. */
export function endpoint(config: CliConfig, path: string): string {
  return `${config.url}${path.startsWith('/') ? path : `/${path}`}`;
}
