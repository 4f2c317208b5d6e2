/**
 * Topology for clients: loaded from the testnet's file or a URL, validated by the shared schema
 * (`@mixnet/sphinx/wire`), with each node's route hop decoded once.
 */
import { readFile } from 'node:fs/promises';
import type { RouteNode } from '@mixnet/sphinx';
import {
  routeHop,
  type Topology,
  TopologyError,
  type TopologyGateway,
  type TopologyNode,
  validateTopology,
} from '@mixnet/sphinx/wire';

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
      raw = await readFile(path, 'utf8');
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
  topology: Topology;
  gateway(id: string): TopologyGateway;
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
  return {
    topology,
    gateway(id) {
      const g = topology.gateways.find((x) => x.id === id);
      if (!g) throw new TopologyError(`no gateway "${id}" in the topology`);
      return g;
    },
    hop,
    route(egress, pick) {
      return [...topology.layers.map((layer) => hop(pick(layer))), hop(egress)];
    },
  };
}
