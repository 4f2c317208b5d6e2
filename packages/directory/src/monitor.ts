/**
 * The network monitor (docs/directory.md §3): every round, `packetsPerNode` probe packets test each
 * registered, unexpired node, or with a budget (probes per epoch, as nym-api's fixed test load),
 * the budget's share per node, never less than one: every node is tested every round. The round's
 * probes are spaced evenly over `spreadMs`, so the network sees a steady trickle, not a burst. A probe of mix n is a route of one mix per layer with n in one
 * position (the positions rotate over n's packets) and, elsewhere, mixes drawn from the best-scoring
 * others, ending at a best-scoring gateway; a probe of gateway g goes through best-scoring mixes
 * and in and out through g. A probe tests one node: its outcome counts for that node only.
 *
 * "Best-scoring" is the pool of candidates scoring at least 0.9 × the best score (topped up with
 * the next best when too small), so one bad companion cannot sink every probe of a round. Sending
 * is injected (`probe`): the directory passes the client SDK's probe clients (prober.ts).
 */
import type { TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import type { RoundResult, ScoreBook } from './scores.js';

export interface MonitorTarget {
  id: string;
  role: 'mix' | 'gateway';
  /** With the Sphinx key of the current rotation; a gateway's carries its clientUrl. */
  node: TopologyNode | TopologyGateway;
}

export interface ProbeRoute {
  /** The node this packet tests. */
  target: string;
  /** One per layer. */
  mixes: TopologyNode[];
  /** Entry and egress: the packet comes back through it. */
  gateway: TopologyGateway;
}

/** Sends one probe; true when it came back within `timeoutMs`. Must not reject for network failures. */
export type ProbeFn = (route: ProbeRoute, timeoutMs: number) => Promise<boolean>;

export interface PlanOptions {
  targets: readonly MonitorTarget[];
  scoreOf: (id: string) => number;
  layers: number;
  packetsPerNode: number;
  /**
   * At most this many probes in the round (the epoch's budget, shared out over its rounds): each
   * node then gets floor(budget / nodes) packets, at least 1 and at most packetsPerNode, and the
   * position of its first packet is random (with one packet per round, it still sees every layer).
   */
  budget?: number;
  /** The ids tested this round (default every target); the others only serve as companions. */
  only?: ReadonlySet<string>;
  /** Uniform in [0, 1). */
  random: () => number;
}

/** Packets per node in a round: the budget's share, at least 1 (every node is tested every round). */
export function packetsPerTarget(targets: number, packetsPerNode: number, budget?: number): number {
  if (budget === undefined || targets === 0) return packetsPerNode;
  return Math.max(1, Math.min(packetsPerNode, Math.floor(budget / targets)));
}

const POOL_FRACTION = 0.9;

/** The best-scoring candidates: at least `need` of them when there are that many. */
export function bestPool<T extends { id: string }>(
  candidates: readonly T[],
  scoreOf: (id: string) => number,
  need: number,
): T[] {
  if (candidates.length === 0) return [];
  const ranked = [...candidates].sort((a, b) => scoreOf(b.id) - scoreOf(a.id) || (a.id < b.id ? -1 : 1));
  const best = scoreOf((ranked[0] as T).id);
  const pool = ranked.filter((c) => scoreOf(c.id) >= POOL_FRACTION * best && (best === 0 || scoreOf(c.id) > 0));
  return pool.length >= need ? pool : ranked.slice(0, need);
}

/** `n` items from `pool` in random order, distinct while the pool lasts, then repeating. */
function drawFrom<T>(pool: readonly T[], n: number, random: () => number): T[] {
  const out: T[] = [];
  let bag: T[] = [];
  while (out.length < n && pool.length > 0) {
    if (bag.length === 0) bag = [...pool];
    out.push(bag.splice(Math.floor(random() * bag.length), 1)[0] as T);
  }
  return out;
}

const isGateway = (n: TopologyNode | TopologyGateway): n is TopologyGateway => 'clientUrl' in n;

/** Every probe of one round. A node that cannot be tested yet (no gateway, or no mix) gets none. */
export function planRound(opts: PlanOptions): ProbeRoute[] {
  const { layers, random } = opts;
  // Each node's score read once a round: the pools below rank every mix for every target (at 170
  // nodes, tens of thousands of reads a round, each over the node's window; issue 16).
  const scores = new Map<string, number>();
  const scoreOf = (id: string): number => {
    let s = scores.get(id);
    if (s === undefined) {
      s = opts.scoreOf(id);
      scores.set(id, s);
    }
    return s;
  };
  const mixes = opts.targets.filter((t) => t.role === 'mix');
  const gateways = opts.targets.filter((t) => t.role === 'gateway' && isGateway(t.node));
  const gatewayPool = bestPool(gateways, scoreOf, 1);
  const routes: ProbeRoute[] = [];
  const tested = opts.only ? opts.targets.filter((t) => opts.only?.has(t.id)) : opts.targets;
  const perNode = packetsPerTarget(tested.length, opts.packetsPerNode, opts.budget);
  for (const t of tested) {
    const offset = opts.budget === undefined ? 0 : Math.floor(random() * layers);
    for (let p = 0; p < perNode; p++) {
      if (t.role === 'mix') {
        const others = mixes.filter((m) => m.id !== t.id);
        const pool = others.length > 0 ? bestPool(others, scoreOf, layers - 1) : [t];
        const companions = drawFrom(pool, layers - 1, random).map((m) => m.node);
        const gateway = drawFrom(gatewayPool, 1, random)[0];
        if (!gateway) continue;
        const position = (p + offset) % layers;
        companions.splice(position, 0, t.node);
        routes.push({ target: t.id, mixes: companions, gateway: gateway.node as TopologyGateway });
      } else {
        if (!isGateway(t.node) || mixes.length === 0) continue;
        const route = drawFrom(bestPool(mixes, scoreOf, layers), layers, random).map((m) => m.node);
        routes.push({ target: t.id, mixes: route, gateway: t.node });
      }
    }
  }
  return routes;
}

export interface MonitorOptions {
  layers: number;
  packetsPerNode: number;
  timeoutMs: number;
  probe: ProbeFn;
  scores: ScoreBook;
  /** Probes per round at most (see PlanOptions.budget); default: packetsPerNode for every node. */
  budget?: () => number | undefined;
  /** The round's probes leave evenly spaced over this long, not in one burst (default 0). */
  spreadMs?: () => number;
  /**
   * True: the budget is a ceiling even below one packet per node; a round then tests only that many
   * nodes, those untested longest first, so each is tested every ceil(nodes / budget) rounds
   * (default false: every node every round, whatever the budget).
   */
  strictBudget?: () => boolean;
  random?: () => number;
}

/** The `n` targets tested longest ago (never first), ties in random order. */
export function stalest(
  targets: readonly MonitorTarget[],
  n: number,
  lastTested: ReadonlyMap<string, number>,
  random: () => number,
): Set<string> {
  const keyed = targets.map((t) => ({ id: t.id, last: lastTested.get(t.id) ?? -1, tie: random() }));
  keyed.sort((a, b) => a.last - b.last || a.tie - b.tie);
  return new Set(keyed.slice(0, n).map((k) => k.id));
}

export interface RoundSummary {
  /** Per tested node. */
  results: Map<string, RoundResult>;
  sent: number;
  delivered: number;
}

export interface Monitor {
  /** Tests every target once and records the outcome in the score book; rounds do not overlap. */
  runRound(targets: readonly MonitorTarget[]): Promise<RoundSummary>;
  readonly running: boolean;
  /** Rounds in flight are no longer recorded (their probes are being cut off). */
  stop(): void;
}

export function createMonitor(opts: MonitorOptions): Monitor {
  const random = opts.random ?? Math.random;
  let current: Promise<RoundSummary> | undefined;
  let stopped = false;
  // The round in which each node was last tested, for a strict budget.
  const lastTested = new Map<string, number>();
  let rounds = 0;

  const round = async (targets: readonly MonitorTarget[]): Promise<RoundSummary> => {
    const budget = opts.budget?.();
    const spreadMs = opts.spreadMs?.() ?? 0;
    const n = rounds++;
    const only =
      budget !== undefined && budget < targets.length && opts.strictBudget?.()
        ? stalest(targets, budget, lastTested, random)
        : undefined;
    for (const t of targets) if (!only || only.has(t.id)) lastTested.set(t.id, n);
    if (lastTested.size > 2 * targets.length) {
      const ids = new Set(targets.map((t) => t.id));
      for (const id of lastTested.keys()) if (!ids.has(id)) lastTested.delete(id);
    }
    const routes = planRound({
      targets,
      scoreOf: (id) => opts.scores.score(id),
      layers: opts.layers,
      packetsPerNode: opts.packetsPerNode,
      ...(budget !== undefined ? { budget } : {}),
      ...(only ? { only } : {}),
      random,
    });
    const outcomes = await Promise.all(
      routes.map(async (r, i) => {
        const at = spreadMs > 0 && routes.length > 1 ? (i * spreadMs) / routes.length : 0;
        if (at > 0) await new Promise((done) => setTimeout(done, at));
        if (stopped) return undefined; // not sent: says nothing about the node
        return opts.probe(r, opts.timeoutMs).then(
          (ok) => ok,
          () => false,
        );
      }),
    );
    const results = new Map<string, RoundResult>();
    routes.forEach((r, i) => {
      if (outcomes[i] === undefined) return;
      const res = results.get(r.target) ?? { sent: 0, delivered: 0 };
      res.sent++;
      if (outcomes[i]) res.delivered++;
      results.set(r.target, res);
    });
    // Scores change only once the whole round is in, so a round's routes all use the same scores.
    // A round cut short by stop() says nothing about the nodes: it is not recorded.
    if (!stopped) for (const [id, res] of results) opts.scores.record(id, res);
    const delivered = outcomes.filter(Boolean).length;
    return { results, sent: outcomes.filter((o) => o !== undefined).length, delivered };
  };

  return {
    runRound(targets) {
      if (current) return current;
      current = round(targets).finally(() => {
        current = undefined;
      });
      return current;
    },
    get running() {
      return current !== undefined;
    },
    stop() {
      stopped = true;
    },
  };
}
