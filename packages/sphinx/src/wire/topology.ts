/**
 * The topology file a testnet writes and nodes and clients read: layers of mixes, gateways and
 * service providers, each with its Sphinx and identity keys. Validation is by hand so the sphinx
 * package stays dependency-free; every error names the field.
 */

import { encodeNodeAddress } from '../address.js';
import { fromHex } from '../bytes.js';

export interface TopologyNode {
  id: string;
  /** host:port of its TCP packet listener ("[::1]:1789" for IPv6). */
  address: string;
  /** X25519 public key, hex. */
  sphinxKey: string;
  /** Ed25519 public key, hex. */
  identityKey: string;
}

export interface TopologyGateway extends TopologyNode {
  /** ws://host:port of its client WebSocket. */
  clientUrl: string;
}

export interface TopologyServiceProvider {
  id: string;
  /** Its mixnet address: the Ed25519 identity key, hex. */
  address: string;
  /** The id of the gateway it is registered with. */
  gateway: string;
}

export interface Topology {
  layers: TopologyNode[][];
  gateways: TopologyGateway[];
  serviceProviders: TopologyServiceProvider[];
}

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/** "host:port" or "[v6]:port" → host and port. */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new TopologyError(`"${text}" is not host:port`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new TopologyError(`${field} must be a non-empty string`);
  return value;
}

function requireKey(value: unknown, field: string): string {
  const s = requireString(value, field);
  if (!/^[0-9a-f]{64}$/.test(s)) throw new TopologyError(`${field} must be 32 bytes of lowercase hex`);
  return s;
}

/** Checks one node entry (id, address, keys); errors name `field`. */
export function validateTopologyNode(value: unknown, field: string): TopologyNode {
  if (typeof value !== 'object' || value === null) throw new TopologyError(`${field} must be an object`);
  const v = value as Record<string, unknown>;
  const address = requireString(v.address, `${field}.address`);
  const { host, port } = parseHostPort(address);
  try {
    encodeNodeAddress({ host, port });
  } catch {
    throw new TopologyError(`${field}.address must be an IP address and port, got "${address}"`);
  }
  return {
    id: requireString(v.id, `${field}.id`),
    address,
    sphinxKey: requireKey(v.sphinxKey, `${field}.sphinxKey`),
    identityKey: requireKey(v.identityKey, `${field}.identityKey`),
  };
}

/** Checks a parsed topology; refuses an empty layer, duplicate ids and more than 4 layers (5 hops with the gateway). */
export function validateTopology(value: unknown): Topology {
  if (typeof value !== 'object' || value === null) throw new TopologyError('topology must be an object');
  const v = value as Record<string, unknown>;
  if (!Array.isArray(v.layers) || v.layers.length === 0) throw new TopologyError('layers must be a non-empty array');
  if (v.layers.length > 4)
    throw new TopologyError(
      `layers: at most 4 (a route is one mix per layer plus the gateway, 5 hops at most), got ${v.layers.length}`,
    );
  const layers = v.layers.map((layer: unknown, i: number) => {
    if (!Array.isArray(layer) || layer.length === 0)
      throw new TopologyError(`layers[${i}] is empty: every layer needs at least one mix`);
    return layer.map((n: unknown, j: number) => validateTopologyNode(n, `layers[${i}][${j}]`));
  });
  if (!Array.isArray(v.gateways) || v.gateways.length === 0)
    throw new TopologyError('gateways must be a non-empty array');
  const gateways = v.gateways.map((g: unknown, i: number) => {
    const base = validateTopologyNode(g, `gateways[${i}]`);
    const clientUrl = requireString((g as Record<string, unknown>).clientUrl, `gateways[${i}].clientUrl`);
    if (!/^wss?:\/\//.test(clientUrl))
      throw new TopologyError(`gateways[${i}].clientUrl must be a ws:// or wss:// URL`);
    return { ...base, clientUrl };
  });
  const sps = v.serviceProviders === undefined ? [] : v.serviceProviders;
  if (!Array.isArray(sps)) throw new TopologyError('serviceProviders must be an array');
  const gatewayIds = new Set(gateways.map((g) => g.id));
  const serviceProviders = sps.map((s: unknown, i: number) => {
    if (typeof s !== 'object' || s === null) throw new TopologyError(`serviceProviders[${i}] must be an object`);
    const r = s as Record<string, unknown>;
    const gateway = requireString(r.gateway, `serviceProviders[${i}].gateway`);
    if (!gatewayIds.has(gateway))
      throw new TopologyError(`serviceProviders[${i}].gateway "${gateway}" is not a gateway id`);
    return {
      id: requireString(r.id, `serviceProviders[${i}].id`),
      address: requireKey(r.address, `serviceProviders[${i}].address`),
      gateway,
    };
  });
  const ids = [...layers.flat(), ...gateways].map((n) => n.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new TopologyError(`duplicate node id "${dup}"`);
  return { layers, gateways, serviceProviders };
}

/** A topology node as a Sphinx route hop. */
export function routeHop(n: TopologyNode): { address: Uint8Array; publicKey: Uint8Array } {
  return { address: encodeNodeAddress(parseHostPort(n.address)), publicKey: fromHex(n.sphinxKey) };
}
