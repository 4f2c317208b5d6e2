/**
 * The trace format of ANONYMITY.md §1: one JSON line per packet a node handles, plus a meta header.
 * Parsing validates each line and converts times to integer nanoseconds (the format's resolution), so
 * that eligibility comparisons `ti + c <= tx` are exact (§2.1: ties matter when m is small).
 */

import {
  formatDeliverLine,
  formatHeldLine,
  formatHopLine,
  formatNs,
  formatEmitLine as writeEmitLine,
} from '@mixnet/sphinx/wire';

/** Public run parameters in the header (`params`). Unknown fields are kept and ignored. */
export interface MetaParams {
  /** Per-client rates in packets per second: real messages, payload stream, loop cover, extra drop cover. */
  rates?: { real?: number; payload?: number; loop?: number; drop?: number };
  /** `buffered`: Loopix payload stream (real if queued, else drop cover); `independent`: reals sent at once. */
  scheme?: 'buffered' | 'independent';
  cover?: boolean;
  /** Mean extra delay at gateways, seconds (default 0: gateways are relays, not mixes). */
  gateway_delay?: number;
  /** Gateway relay window, seconds (default 0): see RelayPool in pools.ts. */
  gateway_window?: number;
  /** Maximum clock skew + link latency between nodes, seconds (§5 watermark). */
  watermark?: number;
  /** Processing constant c of a gateway forwarding a client's packet (no Sphinx work there), seconds; default `proc`. */
  gateway_proc_in?: number;
  /** Processing constant c of a gateway unwrapping a packet for a client, seconds; default `proc`. */
  gateway_proc_out?: number;
  [key: string]: unknown;
}

/**
 * One epoch of a run with a directory (the active set and μ change at each boundary): its bounds in
 * seconds on the trace clock, the μ clients drew from (seconds) and the active mixes by layer.
 */
export interface MetaEpoch {
  epoch: number;
  from: number;
  until: number;
  mean_delay: number;
  layers: string[][];
}

/** The header line (§1). Times are seconds on the nodes' clocks. */
export interface MetaHeader {
  type: 'meta';
  clients: string[];
  gateways: string[];
  layers: string[][];
  mean_delay: number;
  proc: number;
  t_end?: number;
  t_start?: number;
  params?: MetaParams;
  /** Runs with a directory: the epochs, in time order (`layers` above then lists every mix once). */
  epochs?: MetaEpoch[];
}

export const LINE_HOP = 0;
export const LINE_EMIT = 1;
export const LINE_DELIVER = 2;
export type LineKind = typeof LINE_HOP | typeof LINE_EMIT | typeof LINE_DELIVER;

export const KIND_REAL = 0;
export const KIND_LOOP = 1;
export const KIND_DROP = 2;
export type PacketKind = typeof KIND_REAL | typeof KIND_LOOP | typeof KIND_DROP;
const KIND_NAMES = ['real', 'loop', 'drop'] as const;

/**
 * One validated packet line. Times are integer nanoseconds; an absent time is NaN, an absent string ''.
 * One monomorphic shape for every kind keeps the hot loop fast.
 */
export interface TraceLine {
  kind: LineKind;
  n: string;
  ti: number;
  pi: string;
  hi: string;
  /** NaN when absent or `null` (dropped, or still queued at shutdown). */
  tx: number;
  nx: string;
  hx: string;
  /** Ground truth at emission (`gt.k`), -1 otherwise. */
  gk: PacketKind | -1;
  gd: string;
}

/** A malformed trace; the reader prefixes the file name and line number. */
export class TraceError extends Error {
  override name = 'TraceError';
}

/** Seconds (as written) to integer nanoseconds. */
export function toNs(seconds: number): number {
  return Math.round(seconds * 1e9);
}

function isStr(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Validates a parsed `{"type":"meta",...}` object (§1 header). */
export function validateMeta(o: Record<string, unknown>): MetaHeader {
  const strList = (x: unknown, what: string): string[] => {
    if (!Array.isArray(x) || !x.every(isStr)) throw new TraceError(`meta: "${what}" must be an array of node names`);
    return x as string[];
  };
  const clients = strList(o.clients, 'clients');
  const gateways = strList(o.gateways ?? [], 'gateways');
  if (!Array.isArray(o.layers) || o.layers.length === 0)
    throw new TraceError('meta: "layers" must be a non-empty array');
  const layers = o.layers.map((l, i) => {
    const names = strList(l, `layers[${i}]`);
    if (names.length === 0) throw new TraceError(`meta: layers[${i}] is empty`);
    return names;
  });
  if (!isNum(o.mean_delay) || o.mean_delay < 0) throw new TraceError('meta: "mean_delay" must be a number >= 0');
  if (!isNum(o.proc) || o.proc < 0) throw new TraceError('meta: "proc" must be a number >= 0');
  for (const f of ['t_end', 't_start'] as const) {
    if (o[f] !== undefined && o[f] !== null && !isNum(o[f])) throw new TraceError(`meta: "${f}" must be a number`);
  }
  if (o.params !== undefined && (typeof o.params !== 'object' || o.params === null)) {
    throw new TraceError('meta: "params" must be an object');
  }
  const seen = new Set<string>();
  for (const name of [...clients, ...gateways, ...layers.flat()]) {
    if (seen.has(name)) throw new TraceError(`meta: node name "${name}" appears twice`);
    seen.add(name);
  }
  const meta: MetaHeader = { type: 'meta', clients, gateways, layers, mean_delay: o.mean_delay, proc: o.proc };
  if (o.epochs !== undefined) meta.epochs = validateEpochs(o.epochs, seen);
  if (isNum(o.t_end)) meta.t_end = o.t_end;
  if (isNum(o.t_start)) meta.t_start = o.t_start;
  if (o.params) meta.params = o.params as MetaParams;
  return meta;
}

function validateEpochs(x: unknown, known: ReadonlySet<string>): MetaEpoch[] {
  if (!Array.isArray(x)) throw new TraceError('meta: "epochs" must be an array');
  let prev = -Infinity;
  return x.map((e, i) => {
    const f = `meta: epochs[${i}]`;
    if (typeof e !== 'object' || e === null) throw new TraceError(`${f} must be an object`);
    const o = e as Record<string, unknown>;
    if (!Number.isInteger(o.epoch) || (o.epoch as number) < 0)
      throw new TraceError(`${f}.epoch must be an integer >= 0`);
    if (!isNum(o.from) || !isNum(o.until) || o.until < o.from)
      throw new TraceError(`${f}: "from" and "until" must be numbers with from <= until`);
    if (o.from < prev) throw new TraceError(`${f}: epochs must be in time order`);
    prev = o.until;
    if (!isNum(o.mean_delay) || o.mean_delay < 0) throw new TraceError(`${f}.mean_delay must be a number >= 0`);
    if (!Array.isArray(o.layers)) throw new TraceError(`${f}.layers must be an array`);
    const layers = o.layers.map((l, j) => {
      if (!Array.isArray(l) || !l.every(isStr))
        throw new TraceError(`${f}.layers[${j}] must be an array of node names`);
      for (const n of l) if (!known.has(n)) throw new TraceError(`${f}.layers[${j}]: "${n}" is not in the header`);
      return l as string[];
    });
    return { epoch: o.epoch as number, from: o.from, until: o.until, mean_delay: o.mean_delay, layers };
  });
}

/** A blank packet line, for `parseLine`'s reuse argument. */
export function emptyLine(): TraceLine {
  return { kind: LINE_HOP, n: '', ti: NaN, pi: '', hi: '', tx: NaN, nx: '', hx: '', gk: -1, gd: '' };
}

/**
 * Parses one non-empty line: a meta header or a packet line. Throws TraceError naming the problem.
 * `into` is overwritten and returned when given (saves an allocation per line on the hot path).
 */
export function parseLine(text: string, into?: TraceLine): TraceLine | MetaHeader {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new TraceError(`invalid JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TraceError('not a JSON object');
  const r = o as Record<string, unknown>;
  if (r.type !== undefined) {
    if (r.type === 'meta') return validateMeta(r);
    throw new TraceError(`unknown line type ${JSON.stringify(r.type)}`);
  }
  if (!isStr(r.n)) throw new TraceError('missing node name "n"');
  const line = into ?? emptyLine();
  line.kind = LINE_HOP;
  line.n = r.n;
  line.ti = NaN;
  line.pi = '';
  line.hi = '';
  line.tx = NaN;
  line.nx = '';
  line.hx = '';
  line.gk = -1;
  line.gd = '';
  if (r.gt !== undefined) {
    // client emission (§1): tx, nx, hx and ground truth gt {k, d}
    const gt = r.gt as Record<string, unknown> | null;
    if (typeof gt !== 'object' || gt === null) throw new TraceError('"gt" must be an object');
    const k = KIND_NAMES.indexOf(gt.k as (typeof KIND_NAMES)[number]);
    if (k < 0) throw new TraceError(`"gt.k" must be one of real, loop, drop (got ${JSON.stringify(gt.k)})`);
    if (!isStr(gt.d)) throw new TraceError('"gt.d" must be a node name');
    if (!isNum(r.tx) || !isStr(r.nx) || !isStr(r.hx))
      throw new TraceError('an emission needs numeric "tx", "nx" and "hx"');
    line.kind = LINE_EMIT;
    line.tx = toNs(r.tx);
    line.nx = r.nx;
    line.hx = r.hx;
    line.gk = k as PacketKind;
    line.gd = gt.d;
    return line;
  }
  if (!isNum(r.ti) || !isStr(r.pi) || !isStr(r.hi)) throw new TraceError('needs numeric "ti", "pi" and "hi"');
  line.ti = toNs(r.ti);
  line.pi = r.pi;
  line.hi = r.hi;
  if (r.tx === undefined) {
    line.kind = LINE_DELIVER;
    return line;
  }
  if (r.tx !== null) {
    if (!isNum(r.tx)) throw new TraceError('"tx" must be a number or null');
    if (!isStr(r.nx) || !isStr(r.hx)) throw new TraceError('a departure needs "nx" and "hx"');
    line.tx = toNs(r.tx);
    if (line.tx < line.ti) throw new TraceError('"tx" is before "ti"');
    line.nx = r.nx;
    line.hx = r.hx;
  }
  return line;
}

/** The time at which a line is written (its position in a node's file): departure, else arrival. */
export function lineTime(l: TraceLine): number {
  return Number.isNaN(l.tx) ? l.ti : l.tx;
}

// Writers: the project's one writer (@mixnet/sphinx/wire trace-line.ts, also used by nodes and
// clients), with the packet kind as this module's number.

export { formatDeliverLine, formatHeldLine, formatHopLine, formatNs };

export function formatEmitLine(n: string, tx: number, nx: string, hx: string, k: PacketKind, d: string): string {
  return writeEmitLine(n, tx, nx, hx, KIND_NAMES[k], d);
}
