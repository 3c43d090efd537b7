import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

const QUIET_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'GraphQLModule',
  'NestFactory',
  'NestApplication',
]);

/**
 * Nest's logger interface over pino: one JSON object per line on stdout, with `context` naming the
 * class that logged. Structured fields go in an object as the first argument:
 * `logger.log({ msg: 'task leased', taskId, providerId }, 'Scheduler')`.
 */
export class JsonLogger implements LoggerService {
  readonly pino: Logger;

  constructor(level = 'info', base: Record<string, unknown> = { service: 'coordinator' }) {
    this.pino = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' });
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    // Nest passes (message, context) or, for errors, (message, stack, context).
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    // Nest's start-up chatter (one line per module and route) is debug detail, not news.
    if (level === 'info' && context && QUIET_CONTEXTS.has(context)) level = 'debug';
    const stack = level === 'error' && rest.length === 2 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) {
      this.pino[level]({ context, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.pino[level]({ context, ...(message as Record<string, unknown>) });
    } else {
      this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
