/**
 * An epoch's topology document (docs/directory.md §4–§5), pure: who is eligible, the draw, and the
 * document's body. Eligible: a registered, unexpired node that has passed a monitor round with a
 * score above 0 and announced a Sphinx key for the epoch's key rotation.
 *
 * Listed: every registered, unexpired node with a key for the rotation; the ones not drawn are
 * standby, and the ones not eligible (down, or not tested yet) are standby with score 0. Nodes
 * forward only among the nodes of the document, so a node left out could never be tested, and a
 * node that was down could never come back. Weight 0 is never drawn: the draw stays recomputable.
 */
import type { StandbyNode, TopologyDocument, TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { type EpochGrid, epochSeed, epochStart, keyRotationOf } from './epochs.js';
import type { NodeEntry, ServiceProviderEntry } from './registry.js';
import { selectActiveSet } from './selection.js';

export interface EligibilityView {
  isExpired(e: NodeEntry | ServiceProviderEntry): boolean;
  score(id: string): number;
  tested(id: string): boolean;
}

export interface Eligible {
  entry: NodeEntry;
  sphinxKey: string;
  score: number;
}

export function sphinxKeyFor(entry: NodeEntry, rotation: number): string | undefined {
  return entry.descriptor.sphinxKeys.find((k) => k.rotation === rotation)?.key;
}

export function eligibleNodes(nodes: readonly NodeEntry[], view: EligibilityView, rotation: number): Eligible[] {
  const out: Eligible[] = [];
  for (const entry of nodes) {
    const id = entry.descriptor.id;
    if (view.isExpired(entry) || !view.tested(id)) continue;
    const score = view.score(id);
    const sphinxKey = sphinxKeyFor(entry, rotation);
    if (score > 0 && sphinxKey) out.push({ entry, sphinxKey, score });
  }
  return out;
}

export interface BuildOptions {
  epoch: number;
  grid: EpochGrid;
  graceMs: number;
  keyRotationEpochs: number;
  layers: number;
  activePerLayer: number;
  activeGateways: number;
  nodes: readonly NodeEntry[];
  serviceProviders: readonly ServiceProviderEntry[];
  view: EligibilityView;
  previous?: { document: TopologyDocument; hash: string };
  now: number;
  /** The μ clients draw this epoch (auto-sizing, §7); left out of the document when undefined. */
  muMs?: number;
}

/** The document of `epoch`, or null when some layer or the gateways would be empty. */
export function buildDocument(o: BuildOptions): TopologyDocument | null {
  const keyRotation = keyRotationOf(o.epoch, o.keyRotationEpochs);
  const eligible = eligibleNodes(o.nodes, o.view, keyRotation);
  const byId = new Map(eligible.map((e) => [e.entry.descriptor.id, e]));
  const seed = epochSeed(o.previous?.hash, o.epoch);
  const candidates = (role: 'mix' | 'gateway') =>
    eligible
      .filter((e) => e.entry.descriptor.role === role)
      .map((e) => ({ id: e.entry.descriptor.id, score: e.score }));
  const prev = o.previous?.document;
  const selection = selectActiveSet({
    seed,
    mixes: candidates('mix'),
    gateways: candidates('gateway'),
    layers: o.layers,
    activePerLayer: o.activePerLayer,
    activeGateways: o.activeGateways,
    ...(prev
      ? { previous: { layers: prev.layers.map((l) => l.map((n) => n.id)), gateways: prev.gateways.map((g) => g.id) } }
      : {}),
  });
  if (selection.layers.some((l) => l.length === 0) || selection.gateways.length === 0) return null;

  // A node kept from the previous epoch (its layer would be empty) keeps its previous entry.
  const previousEntries = new Map<string, TopologyNode | TopologyGateway>(
    prev ? [...prev.layers.flat(), ...prev.gateways].map((n) => [n.id, n]) : [],
  );
  // Every node we can list: eligible ones with their score, the others with 0.
  const listable = new Map<string, Eligible>();
  for (const entry of o.nodes) {
    const sphinxKey = sphinxKeyFor(entry, keyRotation);
    if (sphinxKey && !o.view.isExpired(entry)) listable.set(entry.descriptor.id, { entry, sphinxKey, score: 0 });
  }
  for (const [id, e] of byId) listable.set(id, e);
  const node = (id: string): TopologyNode => {
    const e = listable.get(id);
    if (!e) return previousEntries.get(id) as TopologyNode;
    const d = e.entry.descriptor;
    return { id, address: d.address, sphinxKey: e.sphinxKey, identityKey: d.identityKey };
  };
  const gateway = (id: string): TopologyGateway => {
    const e = listable.get(id);
    if (!e) return previousEntries.get(id) as TopologyGateway;
    return { ...node(id), clientUrl: e.entry.descriptor.clientUrl as string };
  };
  const active = new Set([...selection.layers.flat(), ...selection.gateways]);
  const standbyIds = [...listable.keys()].filter((id) => !active.has(id)).sort();
  const standby: StandbyNode[] = standbyIds.map((id) => {
    const d = (listable.get(id) as Eligible).entry.descriptor;
    return d.role === 'gateway'
      ? { ...node(id), role: 'gateway', clientUrl: d.clientUrl as string }
      : { ...node(id), role: 'mix' };
  });
  const gateways = selection.gateways.map(gateway);
  const serviceProviders = listServiceProviders(o.serviceProviders, new Set(selection.gateways), o.view.isExpired);
  const listed = [...active, ...standbyIds];
  const validFrom = epochStart(o.grid, o.epoch);
  return {
    v: 1,
    epoch: o.epoch,
    keyRotation,
    validFrom,
    validUntil: validFrom + o.grid.epochMs,
    epochMs: o.grid.epochMs,
    graceMs: o.graceMs,
    issuedAt: o.now,
    seed: Buffer.from(seed).toString('hex'),
    layers: selection.layers.map((l) => l.map(node)),
    gateways,
    serviceProviders,
    standby,
    // The score the draw used: 0 for a node that was not eligible.
    scores: Object.fromEntries(listed.map((id) => [id, byId.get(id)?.score ?? 0])),
    ...(o.muMs === undefined ? {} : { muMs: o.muMs }),
  };
}

/** The service providers a document lists: registered, not expired, behind one of its active gateways. */
export function listServiceProviders(
  entries: readonly ServiceProviderEntry[],
  activeGateways: ReadonlySet<string>,
  isExpired: (e: ServiceProviderEntry) => boolean,
): TopologyDocument['serviceProviders'] {
  return entries
    .filter((s) => !isExpired(s) && activeGateways.has(s.descriptor.gateway))
    .map((s) => ({ id: s.descriptor.id, address: s.descriptor.identityKey, gateway: s.descriptor.gateway }));
}
