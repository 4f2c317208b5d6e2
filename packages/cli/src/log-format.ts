/**
 * `mixnet testnet logs` for people: a pino JSON line becomes "12:34:56.789 INFO  mix-1-1  listening
 * port=40123"; any other line (hardhat's log, a stack trace) is shown as it is. `--json` keeps raw lines.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, shown in the line's head or not at all. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'name', 'node', 'msg', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return line;
  const r = o as Record<string, unknown>;
  if (typeof r.level !== 'number' || typeof r.time !== 'number') return line;
  const time = new Date(r.time);
  const clock = Number.isNaN(time.getTime()) ? String(r.time) : time.toISOString().slice(11, 23);
  const level = (LEVELS[r.level] ?? String(r.level)).padEnd(5);
  const who = typeof r.node === 'string' ? r.node : typeof r.name === 'string' ? r.name : '';
  const rest = Object.entries(r)
    .filter(([k]) => !HEAD.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return [clock, level, who, typeof r.msg === 'string' ? r.msg : '', ...rest].filter((s) => s !== '').join('  ');
}
