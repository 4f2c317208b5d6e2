/**
 * A discrete-event simulator of the testbed's topology and traffic (ARCHITECTURE.md "Mixing and traffic",
 * ANONYMITY.md §0/§2.3): clients → entry gateway → L layers of W Poisson mixes → exit gateway → client.
 * It writes exactly the trace format of §1 (times in ns resolution, one shared clock), so the analyzer can
 * be tested on runs whose ground truth is known. Deterministic for a given seed.
 */
import { KeyHeap } from './heap.js';
import { fmix32, Rng } from './prng.js';
import {
  formatDeliverLine,
  formatEmitLine,
  formatHeldLine,
  formatHopLine,
  KIND_DROP,
  KIND_LOOP,
  KIND_REAL,
  type MetaHeader,
  type PacketKind,
  toNs,
} from './trace-format.js';
import type { TraceSource } from './trace-reader.js';
import { FolderSink, MemorySink, SingleFileSink, type TraceSink } from './trace-sink.js';

export interface SimulateOptions {
  /** Sending clients C. */
  clients: number;
  /** Receive-only clients (recipients that never send). Default 1 when C = 1, else 0. */
  recipients?: number;
  /** Layers L (default 3) and mixes per layer W (default 3). */
  layers?: number;
  width?: number;
  /** Gateways (default 1); client i uses gateway i mod G. */
  gateways?: number;
  /** Mean per-hop mixing delay m in seconds (the CLI's --mu). */
  mu: number;
  /** Constant per-hop processing time c in seconds (default 0.0001). */
  proc?: number;
  /** Simulated seconds T. */
  seconds: number;
  seed?: number;
  /** Cover traffic (payload-stream drop cover and loops). Default false. */
  cover?: boolean;
  /** `buffered` (Loopix/Nym: reals wait for the payload stream) or `independent`. Default buffered. */
  scheme?: 'buffered' | 'independent';
  /** Per-client rates, 1/s: real messages (default 2), payload stream (50), loops (5), extra drop cover (0). */
  rates?: { real?: number; payload?: number; loop?: number; drop?: number };
  /** Mean extra gateway delay, seconds (default 0: gateways only process, c). */
  gatewayDelay?: number;
  /** One-way link latency, seconds (default 0). Written as the header's watermark. */
  linkLatency?: number;
  /** Write to this folder (one file per node plus meta.jsonl), or to this file with layout 'single-file'. */
  out?: string;
  layout?: 'per-node' | 'single-file';
  /** A custom sink (overrides `out`). Default: in memory. */
  sink?: TraceSink;
}

export interface SimulateResult {
  meta: MetaHeader;
  /** Packets emitted, by kind. */
  packets: { total: number; real: number; loop: number; drop: number };
  lines: number;
  /** The written trace as analyzer inputs (memory or files). */
  sources: TraceSource[];
}

// event types
const TICK = 0;
const DEP = 1;
const DELIVER = 2;
const DROP = 3;
// client streams
const S_REAL_SEND = 0;
const S_REAL_QUEUE = 1;
const S_PAYLOAD = 2;
const S_LOOP = 3;
const S_DROP = 4;

interface Packet {
  kind: PacketKind;
  dest: number;
  route: number[];
  hop: number;
  ti: number;
  prev: string;
  hi: string;
}

interface Ev {
  type: number;
  client: number;
  stream: number;
  p: Packet | null;
}

export function simulate(opts: SimulateOptions): SimulateResult {
  const C = opts.clients;
  const R = opts.recipients ?? (C === 1 ? 1 : 0);
  const L = opts.layers ?? 3;
  const W = opts.width ?? 3;
  const G = opts.gateways ?? 1;
  if (!(C >= 1 && L >= 1 && W >= 1 && G >= 1)) throw new RangeError('clients, layers, width and gateways must be >= 1');
  if (C + R < 2) throw new RangeError('need at least two clients (add recipients)');
  const cover = opts.cover ?? false;
  const scheme = opts.scheme ?? 'buffered';
  const rates = {
    real: opts.rates?.real ?? 2,
    payload: cover ? (opts.rates?.payload ?? 50) : 0,
    loop: cover ? (opts.rates?.loop ?? 5) : 0,
    drop: cover ? (opts.rates?.drop ?? 0) : 0,
  };
  const proc = opts.proc ?? 0.0001;
  const cNs = toNs(proc);
  const mNs = opts.mu * 1e9;
  const gwMeanNs = (opts.gatewayDelay ?? 0) * 1e9;
  const latNs = toNs(opts.linkLatency ?? 0);
  const endNs = toNs(opts.seconds);
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);

  const clients = [...Array.from({ length: C }, (_, i) => `c${i}`), ...Array.from({ length: R }, (_, i) => `r${i}`)];
  const gateways = Array.from({ length: G }, (_, i) => `g${i}`);
  const layers = Array.from({ length: L }, (_, l) => Array.from({ length: W }, (_, i) => `m${l + 1}.${i}`));
  // node numbering: clients, then gateways, then mixes layer by layer
  const names = [...clients, ...gateways, ...layers.flat()];
  const gwBase = clients.length;
  const mixBase = gwBase + G;
  const meta: MetaHeader = {
    type: 'meta',
    clients,
    gateways,
    layers,
    mean_delay: opts.mu,
    proc,
    t_end: opts.seconds,
    t_start: 0,
    params: {
      rates,
      scheme,
      cover,
      gateway_delay: opts.gatewayDelay ?? 0,
      gateway_window: 0,
      watermark: opts.linkLatency ?? 0,
      link_latency: opts.linkLatency ?? 0,
      seed,
      generator: '@mixnet/analyze simulate',
    },
  };

  const sink: TraceSink =
    opts.sink ??
    (opts.out
      ? opts.layout === 'single-file'
        ? new SingleFileSink(opts.out)
        : new FolderSink(opts.out)
      : new MemorySink());
  let lines = 0;
  const write = (node: string, line: string) => {
    sink.write(node, line);
    lines++;
  };
  write('meta', JSON.stringify(meta));

  let wireCount = 0;
  const seedA = fmix32(seed ^ 0x5bd1e995);
  const seedB = fmix32(seed + 0x27d4eb2f);
  // a unique 64-bit-looking wire id: the first half is a bijection of the counter
  const wireId = () => {
    const n = wireCount++;
    return (
      fmix32(n ^ seedA)
        .toString(16)
        .padStart(8, '0') +
      fmix32((n + seedB) >>> 0)
        .toString(16)
        .padStart(8, '0')
    );
  };

  const heap = new KeyHeap<Ev>();
  const packets = { total: 0, real: 0, loop: 0, drop: 0 };
  const buffer = new Array<number>(C).fill(0);
  const at = (t: number) => Math.round(t);

  const schedule = (p: Packet) => {
    const last = p.hop === L + 1;
    if (last && p.kind === KIND_DROP) {
      heap.push(p.ti + cNs, { type: DROP, client: -1, stream: 0, p });
      return;
    }
    const gw = p.hop === 0 || last;
    heap.push(at(p.ti + cNs + rng.exp(gw ? gwMeanNs : mNs)), { type: DEP, client: -1, stream: 0, p });
  };

  const emit = (t: number, client: number, kind: PacketKind) => {
    let dest: number;
    let exitGw: number;
    if (kind === KIND_REAL) {
      dest = rng.int(clients.length - 1);
      if (dest >= client) dest++;
      exitGw = dest % G;
    } else if (kind === KIND_LOOP) {
      dest = client;
      exitGw = client % G;
    } else {
      exitGw = rng.int(G);
      dest = gwBase + exitGw;
    }
    const route = [gwBase + (client % G)];
    for (let l = 0; l < L; l++) route.push(mixBase + l * W + rng.int(W));
    route.push(gwBase + exitGw);
    const hx = wireId();
    write(
      names[client] as string,
      formatEmitLine(names[client] as string, t, names[route[0] as number] as string, hx, kind, names[dest] as string),
    );
    packets.total++;
    packets[kind === KIND_REAL ? 'real' : kind === KIND_LOOP ? 'loop' : 'drop']++;
    schedule({ kind, dest, route, hop: 0, ti: t + latNs, prev: names[client] as string, hi: hx });
  };

  const streams: [number, number][] = [];
  if (!cover || scheme === 'independent') streams.push([S_REAL_SEND, rates.real]);
  if (cover && scheme === 'buffered') streams.push([S_REAL_QUEUE, rates.real], [S_PAYLOAD, rates.payload]);
  if (cover && scheme === 'independent') streams.push([S_DROP, rates.drop > 0 ? rates.drop : rates.payload]);
  if (cover && scheme === 'buffered' && rates.drop > 0) streams.push([S_DROP, rates.drop]);
  if (cover) streams.push([S_LOOP, rates.loop]);
  const rateOf = new Map(streams);
  const tick = (t: number, client: number, stream: number) => {
    const rate = rateOf.get(stream) as number;
    if (rate > 0) heap.push(at(t + rng.exp(1e9 / rate)), { type: TICK, client, stream, p: null });
  };
  for (let c = 0; c < C; c++) for (const [s] of streams) tick(0, c, s);

  while (heap.size > 0 && heap.topKey() <= endNs) {
    const t = heap.topKey();
    const ev = heap.pop();
    if (ev.type === TICK) {
      const c = ev.client;
      if (ev.stream === S_REAL_SEND) emit(t, c, KIND_REAL);
      else if (ev.stream === S_REAL_QUEUE) buffer[c] = (buffer[c] as number) + 1;
      else if (ev.stream === S_PAYLOAD) {
        // Loopix payload stream: a queued real message if any, else drop cover
        if ((buffer[c] as number) > 0) {
          buffer[c] = (buffer[c] as number) - 1;
          emit(t, c, KIND_REAL);
        } else emit(t, c, KIND_DROP);
      } else if (ev.stream === S_LOOP) emit(t, c, KIND_LOOP);
      else emit(t, c, KIND_DROP);
      tick(t, c, ev.stream);
      continue;
    }
    const p = ev.p as Packet;
    const node = names[p.route[p.hop] as number] as string;
    if (ev.type === DROP) {
      write(node, formatHeldLine(node, p.ti, p.prev, p.hi));
    } else if (ev.type === DELIVER) {
      write(names[p.dest] as string, formatDeliverLine(names[p.dest] as string, t, p.prev, p.hi));
    } else {
      const last = p.hop === L + 1;
      const next = names[last ? p.dest : (p.route[p.hop + 1] as number)] as string;
      const hx = wireId();
      write(node, formatHopLine(node, p.ti, p.prev, p.hi, t, next, hx));
      p.prev = node;
      p.hi = hx;
      p.ti = t + latNs;
      if (last) heap.push(p.ti, { type: DELIVER, client: -1, stream: 0, p });
      else {
        p.hop++;
        schedule(p);
      }
    }
  }
  // shutdown (§1): packets still held by a node get a line with tx null; packets on a link are lost
  while (heap.size > 0) {
    const ev = heap.pop();
    if (ev.type !== DEP && ev.type !== DROP) continue;
    const p = ev.p as Packet;
    if (p.ti > endNs) continue;
    const node = names[p.route[p.hop] as number] as string;
    write(node, formatHeldLine(node, p.ti, p.prev, p.hi));
  }
  sink.close();
  return { meta, packets, lines, sources: sink.sources() };
}
