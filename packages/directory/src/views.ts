/**
 * What operators see (GET /v1/nodes, /v1/status): every registration with its state. A node is
 * expired when not heard from for 3 × announceMs; down when its monitor score is 0; otherwise
 * active when the current document has it in a layer or as a gateway, else standby.
 */
import type { TopologyDocument } from '@mixnet/sphinx/wire';
import type { Registry } from './registry.js';
import type { ScoreBook } from './scores.js';
import type { NodeView, StatusView } from './server.js';

export function nodeViews(registry: Registry, scores: ScoreBook, current: TopologyDocument | undefined): NodeView[] {
  const layerOf = new Map<string, number>();
  current?.layers.forEach((l, i) => {
    for (const n of l) layerOf.set(n.id, i + 1);
  });
  const activeGateways = new Set(current?.gateways.map((g) => g.id) ?? []);
  const listedSps = new Set(current?.serviceProviders.map((s) => s.id) ?? []);
  const views: NodeView[] = registry.nodes().map((e) => {
    const d = e.descriptor;
    const expired = registry.isExpired(e);
    const score = expired ? 0 : scores.score(d.id);
    const tested = scores.tested(d.id);
    const active = layerOf.has(d.id) || activeGateways.has(d.id);
    const state = expired ? 'expired' : tested && score === 0 ? 'down' : active ? 'active' : 'standby';
    const layer = layerOf.get(d.id);
    return {
      id: d.id,
      kind: 'node',
      role: d.role,
      state,
      score,
      tested,
      lastAnnounce: e.lastAnnounce,
      ...(layer !== undefined && !expired ? { layer } : {}),
      address: d.address,
      identityKey: d.identityKey,
    };
  });
  for (const e of registry.serviceProviders()) {
    const d = e.descriptor;
    const expired = registry.isExpired(e);
    views.push({
      id: d.id,
      kind: 'service-provider',
      role: 'service-provider',
      state: expired ? 'expired' : listedSps.has(d.id) ? 'active' : 'standby',
      score: null,
      lastAnnounce: e.lastAnnounce,
      address: d.identityKey,
      identityKey: d.identityKey,
      gateway: d.gateway,
    });
  }
  return views;
}

export function countStates(views: readonly NodeView[]): StatusView['counts'] {
  const counts = { active: 0, standby: 0, down: 0, expired: 0 };
  for (const v of views) if (v.kind === 'node') counts[v.state]++;
  return counts;
}
