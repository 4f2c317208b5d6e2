/**
 * Topology for clients: loaded from the testnet's file or a URL, validated by the shared schema
 * (`@mixnet/sphinx/wire`), with each node's route hop decoded once.
 */
import type { RouteNode } from '@mixnet/sphinx';
import {
  routeHop,
  type StandbyNode,
  type Topology,
  TopologyError,
  type TopologyGateway,
  type TopologyNode,
  validateTopology,
} from '@mixnet/sphinx/wire';
import { readTextFile } from './platform/files.js';

export type TopologySource = Topology | string | URL;

/** Reads a topology from a path, a file:/http(s): URL, or takes the object; always validates. */
export async function loadTopology(source: TopologySource): Promise<Topology> {
  if (typeof source === 'object' && !(source instanceof URL)) return validateTopology(source);
  const text = String(source);
  let raw: string;
  if (/^https?:\/\//.test(text)) {
    const res = await fetch(text, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new TopologyError(`topology ${text}: HTTP ${res.status}`);
    raw = await res.text();
  } else {
    const path = text.startsWith('file:') ? new URL(text) : text;
    try {
      raw = await readTextFile(path);
    } catch (err) {
      throw new TopologyError(`topology ${text}: ${(err as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new TopologyError(`topology ${text} is not JSON`);
  }
  return validateTopology(parsed);
}

export interface RoutePlanner {
  readonly topology: Topology;
  gateway(id: string): TopologyGateway;
  /**
   * Where a recipient is reached: a service provider's gateway as the topology lists it now (so
   * senders follow a provider that moved), else the gateway its address names.
   */
  egressFor(identity: string, gatewayId: string): TopologyGateway;
  hop(node: TopologyNode): RouteNode;
  /** One mix per layer, chosen uniformly, then the egress gateway (ARCHITECTURE.md). */
  route(egress: TopologyGateway, pick: <T>(items: readonly T[]) => T): RouteNode[];
}

export function createRoutePlanner(topology: Topology): RoutePlanner {
  const hops = new Map<string, RouteNode>();
  const hop = (n: TopologyNode) => {
    let h = hops.get(n.id);
    if (!h) {
      h = routeHop(n);
      hops.set(n.id, h);
    }
    return h;
  };
  const gateway = (id: string) => {
    const g = topology.gateways.find((x) => x.id === id);
    if (!g) throw new TopologyError(`no gateway "${id}" in the topology`);
    return g;
  };
  return {
    topology,
    gateway,
    egressFor(identity, gatewayId) {
      const sp = topology.serviceProviders.find((s) => s.address === identity);
      return gateway(sp?.gateway ?? gatewayId);
    },
    hop,
    route(egress, pick) {
      return [...topology.layers.map((layer) => hop(pick(layer))), hop(egress)];
    },
  };
}

export interface LivePlanner extends RoutePlanner {
  /**
   * Routes built from now on use `topology`; a route is always built from one topology. `standby`:
   * the document's gateways outside the active set, with this rotation's keys (see egressFor).
   */
  set(topology: Topology, standby?: readonly TopologyGateway[]): void;
  /**
   * A gateway by id: in the active set, else standby, else its entry in the last document that
   * listed it (a gateway the directory left out for a while, e.g. while it restarted).
   */
  knownGateway(id: string): TopologyGateway | undefined;
}

/**
 * A planner whose topology can be replaced (a new epoch): every call reads the current planner
 * once, so a route never mixes two epochs, and packets built before the switch are left alone.
 */
export function createLivePlanner(initial: Topology, initialStandby: readonly TopologyGateway[] = []): LivePlanner {
  let current = createRoutePlanner(initial);
  let standby = initialStandby;
  // The last entry of every gateway seen (bounded by the network's gateways).
  const seen = new Map<string, TopologyGateway>();
  const remember = () => {
    for (const g of [...standby, ...current.topology.gateways]) seen.set(g.id, g);
  };
  remember();
  const knownGateway = (id: string) =>
    current.topology.gateways.find((g) => g.id === id) ?? standby.find((g) => g.id === id) ?? seen.get(id);
  return {
    get topology() {
      return current.topology;
    },
    gateway: (id) => current.gateway(id),
    // A recipient's gateway out of the active set for a while (a restart the monitor saw) is still
    // listed as standby with this rotation's key: a packet to it must use that key, not the entry
    // of an older document, which the gateway drops once the rotation's grace period ends. Not
    // listed at all (its registration lapsed while it was down): its last entry, and a
    // retransmission looks again.
    egressFor(identity, gatewayId) {
      try {
        return current.egressFor(identity, gatewayId);
      } catch (err) {
        const sp = current.topology.serviceProviders.find((s) => s.address === identity);
        const g = knownGateway(sp?.gateway ?? gatewayId);
        if (g) return g;
        throw err;
      }
    },
    knownGateway,
    hop: (node) => current.hop(node),
    route: (egress, pick) => current.route(egress, pick),
    set(topology, nextStandby = []) {
      current = createRoutePlanner(topology);
      standby = nextStandby;
      remember();
    },
  };
}

/** A document's standby gateways as topology entries (undefined document: none). */
export function standbyGateways(doc: { standby: readonly StandbyNode[] } | undefined): TopologyGateway[] {
  const out: TopologyGateway[] = [];
  for (const n of doc?.standby ?? [])
    if (n.role === 'gateway' && n.clientUrl !== undefined) {
      const { role: _, ...g } = n;
      out.push(g as TopologyGateway);
    }
  return out;
}
