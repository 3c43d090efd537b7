import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, httpStatusOf } from './app-error';

/**
 * REST errors as `{"error": {"code", "message"}}` with the matching status. GraphQL errors pass
 * through to Apollo's formatError. Unexpected errors are logged once with their stack and reported
 * without details.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() !== 'http') return exception;
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (exception instanceof AppError) {
      res
        .status(httpStatusOf(exception.code))
        .json({ error: { code: exception.code, message: exception.message } });
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      res
        .status(status)
        .json({ error: { code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: exception.message } });
    } else {
      this.logger.error(exception instanceof Error ? exception : String(exception));
      res.status(500).json({ error: { code: 'INTERNAL', message: 'unexpected error; it has been logged' } });
    }
  }
}
