/** Output helpers: tables for people, JSON for machines, one clear line for errors. */

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
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
  if (!m) throw new CliError(`${flag} must be a duration like 15ms or 0.5s, got "${text}"`, 2);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

export function parseIntFlag(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} must be a whole number, got "${text}"`, 2);
  return Number(text);
}

export const progress = (message: string): void => {
  process.stderr.write(`• ${message}\n`);
};
