import { Logger } from '@nestjs/common';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { AppError } from '../common/app-error';

const logger = new Logger('GraphQL');

interface ValidationResponse {
  message?: string | string[];
}

/**
 * One place maps errors to what GraphQL clients see: `CODE: what to fix`, with the code (and the
 * field at fault, and for a file's rows the lines at fault as `[{line, message}]`) in `extensions`. Bugs become a generic INTERNAL error, logged with their stack.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof AppError) {
    return {
      message: `${original.code}: ${original.message}`,
      path: formatted.path,
      extensions: {
        code: original.code,
        ...(original.field ? { field: original.field } : {}),
        ...(original.lines?.length
          ? { lines: original.lines.map(({ line, message }) => ({ line, message })) }
          : {}),
      },
    };
  }
  // class-validator failures from the ValidationPipe arrive as a BadRequestException.
  const response = (original as { getResponse?: () => ValidationResponse } | undefined)?.getResponse?.();
  if (response && (original as { status?: number }).status === 400) {
    const messages = Array.isArray(response.message)
      ? response.message
      : [response.message ?? 'invalid input'];
    return {
      message: `BAD_INPUT: ${messages.join('; ')}`,
      path: formatted.path,
      extensions: { code: 'BAD_INPUT' },
    };
  }
  const code = formatted.extensions?.code;
  // Apollo's own errors (syntax, unknown field, wrong type) already say what is wrong.
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
  logger.error(original instanceof Error ? original : String(formatted.message));
  return {
    message: 'INTERNAL: unexpected error; it has been logged',
    path: formatted.path,
    extensions: { code: 'INTERNAL' },
  };
}
