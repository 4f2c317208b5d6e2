/** Output helpers: tables for people, JSON for machines, one clear line for errors. */
import { CommanderError } from 'commander';

/** The exit code rule (also in `mixnet --help`): 2 for usage errors, 1 for runtime failures. */
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_RUNTIME,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad flag or argument: exit 2, one line naming the flag. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Errors of the libraries that mean "the caller asked for something impossible" (a usage error). */
const USAGE_ERRORS = new Set(['PlanError']);

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof Error && USAGE_ERRORS.has(err.name)) return EXIT_USAGE;
  return EXIT_RUNTIME;
}

/** The one line to print for an error (undefined: commander printed it already). */
export function messageOf(err: unknown): string | undefined {
  if (err instanceof CommanderError) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.path === 'string') return fsErrorMessage(e);
  return rawFsText(err instanceof Error ? err.message : String(err));
}

/** Node's raw fs text inside another message ("…: ENOENT: no such file or directory, open '/x'") made readable. */
export function rawFsText(message: string): string {
  return message.replace(/\b(E[A-Z]+): [^,]*, \w+ '([^']*)'/g, (whole, code: string, path: string) =>
    FS_ERRORS[code] ? `${path}: ${FS_ERRORS[code]}` : whole,
  );
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists',
};

/** "ENOENT: no such file or directory, open '/x'" → "/x: no such file or folder". */
export function fsErrorMessage(e: NodeJS.ErrnoException): string {
  const what = (e.code && FS_ERRORS[e.code]) ?? e.message;
  return e.path ? `${e.path}: ${what}` : what;
}

export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '';
  const cols = columns ?? Object.keys(rows[0] as object);
  const cells = rows.map((r) => cols.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "15ms", "0.5s", "15" (ms) → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw usageError(`${flag} must be a duration like 15ms or 0.5s, got "${text}"`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

export function parseIntFlag(text: string, flag: string, range?: { min: number; max: number }): number {
  if (!/^\d+$/.test(text)) throw usageError(`${flag} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (range && (n < range.min || n > range.max))
    throw usageError(`${flag} must be an integer from ${range.min} to ${range.max}, got ${n}`);
  return n;
}

/** A number flag in [min, max] (e.g. a rate or a probability). */
export function parseNumberFlag(text: string, flag: string, range: { min: number; max: number }): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < range.min || n > range.max)
    throw usageError(`${flag} must be a number from ${range.min} to ${range.max}, got "${text}"`);
  return n;
}

export const progress = (message: string): void => {
  process.stderr.write(`• ${message}\n`);
};

/**
 * Progress lines on stderr that also speak up during a long silent step: while no new line has come
 * for `everyMs`, the last one is repeated with the time it has taken so far.
 */
export function progressWithHeartbeat(everyMs = 5_000): { report: (message: string) => void; stop: () => void } {
  let last = '';
  let since = Date.now();
  const timer = setInterval(() => {
    if (last && Date.now() - since >= everyMs)
      progress(`${last} (still working, ${Math.round((Date.now() - since) / 1000)} s)`);
  }, everyMs);
  timer.unref();
  return {
    report(message) {
      last = message;
      since = Date.now();
      progress(message);
    },
    stop: () => clearInterval(timer),
  };
}

/** Says `message` on stderr if `work` has not settled after `afterMs` (quick work stays silent). */
export async function withSlowNotice<T>(work: Promise<T>, message: string, afterMs = 2_000): Promise<T> {
  const timer = setTimeout(() => progress(message), afterMs);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
  }
}
