/**
 * The one writer of the trace line format (ANONYMITY.md §1, docs/anonymity.md): what mixes, gateways,
 * clients and the simulator write, and what @mixnet/analyze parses. Times are integer nanoseconds on
 * the writer's clock, written as seconds with exactly 9 decimals (no float formatting error).
 */

export type TracePacketKind = 'real' | 'loop' | 'drop';

/** Integer nanoseconds to seconds with exactly 9 decimals. */
export function formatNs(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(ns);
  const whole = Math.floor(a / 1e9);
  const frac = String(a - whole * 1e9).padStart(9, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** A JSON string; node names and wire ids need no escaping, so the common case skips JSON.stringify. */
function str(s: string): string {
  return /^[\w.:@-]*$/.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** A packet that arrived at node `n` (at `ti`, from `pi`, wire id `hi`) and left at `tx` for `nx` (wire id `hx`). */
export function formatHopLine(
  n: string,
  ti: number,
  pi: string,
  hi: string,
  tx: number,
  nx: string,
  hx: string,
): string {
  return `{"n":${str(n)},"ti":${formatNs(ti)},"pi":${str(pi)},"hi":${str(hi)},"tx":${formatNs(tx)},"nx":${str(nx)},"hx":${str(hx)}}`;
}

/** A packet that arrived and did not leave: dropped, ended here, or still held at shutdown (`tx` null). */
export function formatHeldLine(n: string, ti: number, pi: string, hi: string): string {
  return `{"n":${str(n)},"ti":${formatNs(ti)},"pi":${str(pi)},"hi":${str(hi)},"tx":null}`;
}

/** A client's emission, with the ground truth `gt` (kind and destination name; '?' behind a SURB). */
export function formatEmitLine(n: string, tx: number, nx: string, hx: string, k: TracePacketKind, d: string): string {
  return `{"n":${str(n)},"tx":${formatNs(tx)},"nx":${str(nx)},"hx":${str(hx)},"gt":{"k":"${k}","d":${str(d)}}}`;
}

/** A packet delivered to client `n`. */
export function formatDeliverLine(n: string, ti: number, pi: string, hi: string): string {
  return `{"n":${str(n)},"ti":${formatNs(ti)},"pi":${str(pi)},"hi":${str(hi)}}`;
}
