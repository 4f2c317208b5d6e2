/**
 * The streaming posterior engine (ANONYMITY.md §2.1, §5). Every line is split into the adversary's view:
 * an arrival (ti, pi, hi) and a departure (tx, nx, hx). Each node replays its own events in its own clock
 * order: an arrival joins the pool at its eligible time ti + c, a departure takes the pool average.
 * Wire ids join a departure to the next node's arrival; the same-line pairing hi→hx is used only for
 * ground truth (true exits, senders, delays).
 *
 * Scheduling (§5): lines come in merged write-time order with a frontier F. A node may process its next
 * departure at tx once F > tx + w (w = watermark: clock skew + link latency), every arrival that may be
 * eligible by then is known, and each such arrival carries its upstream vector. An arrival announced by
 * the upstream departure at t_A but whose own line is unread has ti ∈ [t_A − w, t_A + w]; it is certainly
 * eligible once t_A + w + c ≤ tx, and otherwise the node waits for its line. Nodes are visited in layer
 * order (gateway-in, mixes by layer, gateway-out), a DAG, so a pass settles all that is ready.
 */

import { KeyHeap } from './heap.js';
import { ExactPool, type LabelPool, RelayPool, type Sparse, TimingPool, VecPool } from './pools.js';
import { NODE_CLIENT, NODE_GATEWAY, NODE_MIX, type NodeInfo, type Topology } from './topology.js';
import { LINE_DELIVER, LINE_EMIT, type MetaHeader, TraceError, type TraceLine, toNs } from './trace-format.js';
import { type Truth, UNKNOWN_TRUTH, Wire as WireOf } from './wires.js';

export type { Truth } from './wires.js';
/** A link record whose receiving pool is one of this engine's nodes. */
export type Wire = WireOf<VNode>;

interface Dep {
  tx: number;
  inWire: Wire;
  out: Wire | null;
  client: number;
  /** A mix handing the packet out of the mix layers: its route's last mix (§2.2 exit), whatever the epoch's layers. */
  exit: boolean;
}

/** A pool in the adversary's view: a mix, or one direction of a gateway (client→mix or mix→client). */
class VNode {
  readonly cand = new KeyHeap<Wire>();
  readonly deps: Dep[] = [];
  head = 0;
  constructor(
    readonly info: NodeInfo,
    readonly cNs: number,
    readonly relay: boolean,
    readonly exact: LabelPool,
    readonly timing: LabelPool | null,
  ) {}
}

export interface EngineHooks {
  /** A client emission: fill `truth` and the wire's initial vectors (vec/fwd, and tvec/tfwd when timing). */
  emit(line: TraceLine, client: number, wire: Wire, truth: Truth): void;
  /** A departure from the last mix layer (§2.2): forward masses of the exact and timing posteriors. */
  exit(fwd: Sparse | null, tfwd: Sparse | null, truth: Truth, atNs: number): void;
  /** A departure towards a client (a delivery, §2.3). */
  deliver(v: Float64Array, tv: Float64Array | null, truth: Truth, recipient: number, atNs: number): void;
  /** True per-hop delay at a mix, tx − ti, ns (ground truth, for the KS check of §2.1), leaving at `atNs`. */
  mixDelay(ns: number, atNs: number): void;
}

export interface EngineConfig {
  /** Length of dense label vectors. */
  dim: number;
  timing: boolean;
  watermarkNs: number;
  gatewayWindowNs: number;
  gatewayMeanNs: number;
  /**
   * Processing constants of the two gateway directions when they differ from c: a live gateway
   * forwards a client's packet without Sphinx processing (µs), and unwraps a mix's (about c).
   */
  gatewayProcInNs?: number;
  gatewayProcOutNs?: number;
}

export interface EngineCounters {
  lines: number;
  emissions: number;
  deliveryLines: number;
  /** Lines with tx null: dropped, or still held at shutdown. */
  held: number;
  /** Departures with no eligible arrival (processing shorter than c, or missing data). */
  infeasible: number;
  /** Arrivals whose upstream departure is not in the trace. */
  orphanArrivals: number;
  /** Departures for which no arrival exists at all. */
  orphanDepartures: number;
  /** Arrivals at relays taken as dropped. */
  relayDrops: number;
  /** Announced arrivals whose line never came. */
  unmatchedWires: number;
  /** Arrivals with |ti − t_A| above the watermark. */
  watermarkViolations: number;
  /** Largest number of live wire records (in flight or in pools): the memory bound of §5. */
  maxLiveWires: number;
  /** Largest number of read but unprocessed departures. */
  maxBacklog: number;
}

export class Engine {
  readonly counters: EngineCounters = {
    lines: 0,
    emissions: 0,
    deliveryLines: 0,
    held: 0,
    infeasible: 0,
    orphanArrivals: 0,
    orphanDepartures: 0,
    relayDrops: 0,
    unmatchedWires: 0,
    watermarkViolations: 0,
    maxLiveWires: 0,
    maxBacklog: 0,
  };
  readonly vecs: VecPool;
  private readonly wires = new Map<string, Wire>();
  private readonly order: VNode[] = [];
  private readonly mixNodes: VNode[];
  private readonly gwIn: VNode[];
  private readonly gwOut: VNode[];
  private readonly w: number;
  private frontier = -Infinity;
  private done = false;
  private forceOrphans = false;
  private backlog = 0;

  constructor(
    readonly topo: Topology,
    meta: MetaHeader,
    cfg: EngineConfig,
    private readonly hooks: EngineHooks,
  ) {
    this.vecs = new VecPool(cfg.dim);
    this.w = cfg.watermarkNs;
    const c = toNs(meta.proc);
    const m = toNs(meta.mean_delay);
    const pool = (mean: number, relay: boolean, timing: boolean): LabelPool => {
      if (relay) return new RelayPool(this.vecs, cfg.gatewayWindowNs);
      return timing && mean > 0 ? new TimingPool(this.vecs, mean) : new ExactPool(this.vecs);
    };
    const make = (info: NodeInfo, mean: number, relay: boolean, cNs = c) =>
      new VNode(info, cNs, relay, pool(mean, relay, false), cfg.timing ? pool(mean, relay, true) : null);
    const gwRelay = cfg.gatewayMeanNs === 0;
    this.gwIn = topo.gateways.map((n) => make(topo.get(n), cfg.gatewayMeanNs, gwRelay, cfg.gatewayProcInNs));
    this.mixNodes = topo.mixes.map((info) => make(info, m, false));
    this.gwOut = topo.gateways.map((n) => make(topo.get(n), cfg.gatewayMeanNs, gwRelay, cfg.gatewayProcOutNs));
    this.order.push(...this.gwIn, ...this.mixNodes, ...this.gwOut);
  }

  private wire(id: string): Wire {
    let w = this.wires.get(id);
    if (!w) {
      w = new WireOf<VNode>(id);
      this.wires.set(id, w);
    }
    return w;
  }

  /** The pool a packet from `from` enters at `to` (gateways are split by direction). */
  private receiver(from: NodeInfo, to: NodeInfo): VNode | null {
    if (to.type === NODE_MIX) return this.mixNodes[to.index] as VNode;
    if (to.type === NODE_GATEWAY) return (from.type === NODE_CLIENT ? this.gwIn : this.gwOut)[to.index] as VNode;
    return null;
  }

  private announce(w: Wire, txA: number, to: VNode): void {
    if (!Number.isNaN(w.txA)) throw new TraceError(`wire id ${w.id} departs twice`);
    if (w.to && w.to !== to)
      throw new TraceError(`wire id ${w.id} is sent to ${to.info.name} but arrives at ${w.to.info.name}`);
    w.txA = txA;
    w.to = to;
    if (Number.isNaN(w.ti)) {
      w.key = txA - this.w + to.cNs;
      w.keyHi = txA + this.w + to.cNs;
      to.cand.push(w.key, w);
    } else {
      if (Math.abs(w.ti - txA) > this.w) this.counters.watermarkViolations++;
      if (w.inserted) this.wires.delete(w.id);
    }
  }

  private arrive(w: Wire, ti: number, node: VNode): void {
    if (!Number.isNaN(w.ti)) throw new TraceError(`wire id ${w.id} arrives twice`);
    if (w.to && w.to !== node)
      throw new TraceError(`wire id ${w.id} is sent to ${w.to.info.name} but arrives at ${node.info.name}`);
    w.to = node;
    w.ti = ti;
    if (!Number.isNaN(w.txA) && Math.abs(ti - w.txA) > this.w) this.counters.watermarkViolations++;
    if (w.inserted) {
      if (!Number.isNaN(w.txA)) this.wires.delete(w.id);
      return;
    }
    const key = ti + node.cNs;
    const queued = !Number.isNaN(w.txA);
    w.keyHi = key;
    if (!queued || key !== w.key) {
      w.key = key;
      node.cand.push(key, w);
    }
  }

  /** Feeds one line (merged write-time order). */
  line(l: TraceLine): void {
    this.counters.lines++;
    const info = this.topo.get(l.n);
    if (l.tx + this.w < this.frontier) {
      // §5 needs each input in write-time order (up to the watermark); a departure this late breaks the merge
      throw new TraceError(
        `departure at ${l.tx / 1e9} s comes after lines up to ${this.frontier / 1e9} s: each file must be in write-time order (or raise the watermark)`,
      );
    }
    if (l.kind === LINE_EMIT) {
      if (info.type !== NODE_CLIENT) throw new TraceError(`an emission (with "gt") at ${l.n}, which is not a client`);
      const to = this.receiver(info, this.topo.get(l.nx));
      if (!to) throw new TraceError(`client ${l.n} sends straight to client ${l.nx}`);
      const w = this.wire(l.hx);
      const truth: Truth = { ...UNKNOWN_TRUTH };
      this.hooks.emit(l, info.index, w, truth);
      w.truth = truth;
      w.ready = true;
      this.counters.emissions++;
      this.announce(w, l.tx, to);
      return;
    }
    if (l.kind === LINE_DELIVER) {
      if (info.type !== NODE_CLIENT) throw new TraceError(`a delivery line (no "tx") at ${l.n}, which is not a client`);
      this.counters.deliveryLines++;
      return;
    }
    if (info.type === NODE_CLIENT) throw new TraceError(`client ${l.n} has a hop line ("ti" and "tx")`);
    const node = this.receiver(this.topo.get(l.pi), info) as VNode;
    const wi = this.wire(l.hi);
    this.arrive(wi, l.ti, node);
    if (Number.isNaN(l.tx)) {
      this.counters.held++;
      return;
    }
    if (info.type === NODE_MIX) this.hooks.mixDelay(l.tx - l.ti, l.tx);
    const next = this.topo.get(l.nx);
    const depNode = info.type === NODE_MIX ? node : (next.type === NODE_CLIENT ? this.gwOut : this.gwIn)[info.index];
    let out: Wire | null = null;
    if (next.type !== NODE_CLIENT) {
      out = this.wire(l.hx);
      this.announce(out, l.tx, this.receiver(info, next) as VNode);
    }
    (depNode as VNode).deps.push({
      tx: l.tx,
      inWire: wi,
      out,
      client: next.type === NODE_CLIENT ? next.index : -1,
      exit: info.type === NODE_MIX && next.type !== NODE_MIX,
    });
    this.backlog++;
  }

  /** All lines written before `ns` (up to the watermark) have been fed; processes what is ready. */
  setFrontier(ns: number): void {
    this.frontier = ns;
    if (this.wires.size > this.counters.maxLiveWires) this.counters.maxLiveWires = this.wires.size;
    if (this.backlog > this.counters.maxBacklog) this.counters.maxBacklog = this.backlog;
    // With epochs a mix's layer changes, so the node order is not always upstream first: settle fully.
    while (this.pump()) {}
  }

  /** End of input: settles everything, forcing what can never resolve (missing data). */
  finish(): void {
    this.done = true;
    this.frontier = Infinity;
    while (this.pump()) {}
    if (this.order.some((n) => n.head < n.deps.length)) {
      this.forceOrphans = true;
      while (this.pump()) {}
    }
    for (const w of this.wires.values())
      if (!w.inserted && !Number.isNaN(w.txA) && Number.isNaN(w.ti)) this.counters.unmatchedWires++;
    for (const n of this.order) {
      if (n.exact instanceof RelayPool) {
        this.counters.relayDrops += n.exact.dropped;
        this.counters.infeasible += n.exact.infeasible;
      }
    }
  }

  private pump(): boolean {
    let progress = false;
    for (const node of this.order) {
      while (this.step(node)) progress = true;
    }
    return progress;
  }

  /** Readies a candidate's vectors; false if it must wait for its upstream departure. */
  private resolve(w: Wire): boolean {
    if (w.ready) return true;
    const noUpstream = Number.isNaN(w.txA);
    if (this.forceOrphans || (noUpstream && (this.done || this.frontier > w.ti + this.w))) {
      w.ready = true;
      this.counters.orphanArrivals++;
      return true;
    }
    return false;
  }

  private insert(node: VNode, w: Wire): void {
    const e = (Number.isNaN(w.ti) ? w.txA : w.ti) + node.cNs;
    node.exact.insert(w.vec, w.fwd, e);
    if (node.timing) node.timing.insert(w.tvec, w.tfwd, e);
    else if (w.tvec) this.vecs.put(w.tvec);
    w.vec = w.tvec = null;
    w.fwd = w.tfwd = null;
    w.inserted = true;
    // both ends seen: the record is done (an orphan's upstream line is taken as missing for good)
    if (!Number.isNaN(w.ti)) this.wires.delete(w.id);
  }

  /** Processes the node's next departure if it is ready (§5 scheduling rules above). */
  private step(node: VNode): boolean {
    if (node.head >= node.deps.length) return false;
    const dep = node.deps[node.head] as Dep;
    const k = dep.tx;
    if (!(this.frontier > k + this.w)) return false;
    const cand = node.cand;
    // arrivals eligible by k (ti + c <= k) join the pool first
    while (cand.size > 0 && cand.topKey() <= k) {
      const w = cand.top();
      if (w.inserted || w.key !== cand.topKey()) {
        cand.pop();
        continue;
      }
      const exactTime = !Number.isNaN(w.ti);
      const certain = exactTime || this.done || (node.relay ? this.w === 0 : w.keyHi <= k);
      if (!certain) return false;
      if (!this.resolve(w)) return false;
      cand.pop();
      this.insert(node, w);
    }
    let empty = node.exact.size === 0;
    if (empty) {
      // infeasible: no eligible arrival; take the earliest known one (counted)
      while (cand.size > 0 && (cand.top().inserted || cand.top().key !== cand.topKey())) cand.pop();
      if (cand.size > 0) {
        const w = cand.top();
        if (!this.resolve(w)) return false;
        cand.pop();
        this.insert(node, w);
        // a relay pool counts its own infeasible departures (finish() adds them): count once
        if (!node.relay) this.counters.infeasible++;
        empty = false;
      } else this.counters.orphanDepartures++;
    }
    node.head++;
    this.backlog--;
    if (node.head > 1024 && node.head * 2 > node.deps.length) {
      node.deps.splice(0, node.head);
      node.head = 0;
    }
    const truth = dep.inWire.truth ?? UNKNOWN_TRUTH;
    const out = this.vecs.get();
    let f: Sparse | null = null;
    if (empty) out.fill(0);
    else f = node.exact.depart(out, k);
    let tout: Float64Array | null = null;
    let tf: Sparse | null = null;
    if (node.timing) {
      tout = this.vecs.get();
      if (empty || node.timing.size === 0) tout.fill(0);
      else tf = node.timing.depart(tout, k);
    }
    if (dep.exit) {
      this.hooks.exit(f, tf, truth, k);
      f = tf = null;
    }
    if (dep.client >= 0) {
      this.hooks.deliver(out, tout, truth, dep.client, k);
      this.vecs.put(out);
      if (tout) this.vecs.put(tout);
    } else {
      const o = dep.out as Wire;
      o.vec = out;
      o.fwd = f;
      o.tvec = tout;
      o.tfwd = tf;
      o.truth = truth;
      o.ready = true;
    }
    return true;
  }
}
