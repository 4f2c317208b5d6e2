/** pino, JSON lines on stdout; keys and packet contents are never passed to it. */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name: string; destination?: NodeJS.WritableStream }): Logger {
  return pino({ level: opts.level, name: opts.name, base: { node: opts.name } }, opts.destination ?? process.stdout);
}

/**
 * A warning that may repeat on every accept (EMFILE at the fd limit): logged at most once per
 * `everyMs`, with how many were folded into it.
 */
export function throttledWarn(logger: Logger, msg: string, everyMs = 5_000): (err: Error) => void {
  let last = Number.NEGATIVE_INFINITY;
  let folded = 0;
  return (err) => {
    const t = performance.now();
    if (t - last < everyMs) {
      folded++;
      return;
    }
    logger.warn({ err: err.message, repeats: folded }, msg);
    last = t;
    folded = 0;
  };
}
