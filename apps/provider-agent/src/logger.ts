import pino, { Logger } from 'pino';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const SKIP = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** JSON lines for machines (the default off a terminal); one readable line per event for people. */
export function createAgentLogger(format: 'json' | 'pretty', level: string): Logger {
  const base = { service: 'provider-agent' };
  if (format === 'json') return pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime });
  return pino(
    { level, base },
    {
      write(line: string) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        const time = new Date(entry.time as number).toTimeString().slice(0, 8);
        const extras = Object.entries(entry)
          .filter(([k]) => !SKIP.has(k))
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        process.stdout.write(
          `${time} ${(LEVELS[entry.level as number] ?? '?').padEnd(5)} ${String(entry.msg ?? '')}${extras ? `  ${extras}` : ''}\n`,
        );
      },
    },
  );
}
