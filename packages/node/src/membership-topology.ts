/**
 * Membership from a topology file (network.topologyFile): every mix of every layer and every
 * gateway is a member. The directory will replace this source; the Membership interface stays.
 */
import { readFileSync } from 'node:fs';
import { type Topology, type TopologyDocument, validateTopology } from '@mixnet/sphinx/wire';
import { ConfigError } from './config.js';
import type { MembershipNode } from './membership.js';

export function membersFromTopology(topology: Topology): MembershipNode[] {
  return [
    ...topology.layers.flat().map((n) => ({ id: n.id, address: n.address, role: 'mix' as const })),
    ...topology.gateways.map((g) => ({ id: g.id, address: g.address, role: 'gateway' as const })),
  ];
}

/** A directory document's members: active and standby (the monitor probes both; docs/directory.md §6). */
export function membersFromDocument(doc: TopologyDocument): MembershipNode[] {
  return [...membersFromTopology(doc), ...doc.standby.map((n) => ({ id: n.id, address: n.address, role: n.role }))];
}

/** Reads and validates the file; the error names `field` (the config field that pointed at it). */
export function loadTopologyMembers(file: string, field = 'network.topologyFile'): MembershipNode[] {
  let topology: Topology;
  try {
    topology = validateTopology(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new ConfigError(`${field}: cannot load topology ${file}: ${(err as Error).message}`);
  }
  return membersFromTopology(topology);
}
