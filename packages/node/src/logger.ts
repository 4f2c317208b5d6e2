/** pino, JSON lines on stdout; keys and packet contents are never passed to it. */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name: string; destination?: NodeJS.WritableStream }): Logger {
  return pino({ level: opts.level, name: opts.name, base: { node: opts.name } }, opts.destination ?? process.stdout);
}
