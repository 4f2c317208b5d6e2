/**
 * Joins a relay to the directory (docs/directory.md §6): builds its descriptor (listener address,
 * client URL for a gateway, metrics URL, Sphinx keys of the current and next rotation with their
 * proofs), runs the directory agent, rotates the keys as documents say, and re-announces whenever
 * the keys change.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { formatNodeAddress } from '@mixnet/sphinx';
import { type SphinxKeyEntry, sphinxKeyEntry, type TopologyDocument } from '@mixnet/sphinx/wire';
import type { Registry } from 'prom-client';
import type { GatewayConfig, MixNodeConfig } from './config.js';
import { createDirectoryAgent, type DirectoryAgent } from './directory-agent.js';
import type { TopologyFetcher } from './directory-client.js';
import type { NodeKeys } from './keys.js';
import type { Logger } from './logger.js';
import type { Membership } from './membership.js';
import { membersFromDocument } from './membership-topology.js';
import type { SphinxKeyRing } from './sphinx-keys.js';

export interface NodeDirectoryOptions {
  config: MixNodeConfig | GatewayConfig;
  keys: NodeKeys;
  ring: SphinxKeyRing;
  /** The relay's Sphinx address (bound port). */
  address: Uint8Array;
  metricsPort: number | null;
  /** A gateway's bound WebSocket port. */
  websocketPort?: number;
  logger: Logger;
  registry: Registry;
  /** Fed with every document's nodes: the only next hops and inbound peers (issue 14 #1). */
  membership: Membership;
  /** Shared by the nodes of a host (directory-client.ts createSharedTopologyFetch). */
  fetchTopology?: TopologyFetcher;
}

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const hostForUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Starts the agent (undefined without `config.directory`). */
/**
 * The URL a gateway publishes for clients: `websocket.announce` when set (a NodePort or a proxy in
 * front of it), else the announced host with the listener's port.
 */
export function gatewayClientUrl(config: GatewayConfig, websocketPort?: number): string {
  const ws = config.websocket.announce;
  if (ws) return `ws://${hostForUrl(ws.host)}:${ws.port}`;
  return `ws://${hostForUrl(config.announce?.host ?? config.websocket.host)}:${websocketPort ?? config.websocket.port}`;
}

export function startNodeDirectory(opts: NodeDirectoryOptions): DirectoryAgent | undefined {
  const { config, ring, logger } = opts;
  const dir = config.directory;
  if (!dir) return undefined;
  const announceHost = config.announce?.host;
  if (!announceHost && /^(0\.0\.0\.0|::|\[::\])$/.test(config.listen.host))
    logger.warn(
      { listen: config.listen.host },
      'listening on every interface without `announce`: the directory will publish an address nobody can reach',
    );
  const clientUrl = config.role === 'gateway' ? gatewayClientUrl(config, opts.websocketPort) : undefined;
  const metricsUrl =
    config.metrics && opts.metricsPort !== null
      ? `http://${hostForUrl(announceHost ?? config.metrics.host)}:${opts.metricsPort}`
      : undefined;

  // A proof costs a signature: made once per key, not per announce.
  const proofs = new Map<string, SphinxKeyEntry>();
  const sphinxKeys = (): SphinxKeyEntry[] => {
    const wanted = [ring.current, ring.next].filter((k) => k !== undefined);
    const ids = new Set<string>();
    const out = wanted.map((k) => {
      const id = `${k.rotation}:${toHex(k.publicKey)}`;
      ids.add(id);
      let entry = proofs.get(id);
      if (!entry) {
        entry = sphinxKeyEntry(k.rotation, k.privateKey, k.publicKey, opts.keys.identityPublicKey);
        proofs.set(id, entry);
      }
      return entry;
    });
    for (const id of proofs.keys()) if (!ids.has(id)) proofs.delete(id);
    return out;
  };

  const agent = createDirectoryAgent({
    url: dir.url,
    publicKey: Uint8Array.from(Buffer.from(dir.publicKey, 'hex')),
    announceMs: dir.announceMs,
    node: {
      id: config.id,
      role: config.role,
      address: formatNodeAddress(opts.address),
      ...(clientUrl ? { clientUrl } : {}),
      ...(metricsUrl ? { metricsUrl } : {}),
      software: `mixnet/${version}`,
    },
    identityPrivateKey: opts.keys.identityPrivateKey,
    identityPublicKey: opts.keys.identityPublicKey,
    sphinxKeys,
    documentPath: join(config.dataDir, 'directory', 'document.json'),
    logger,
    registry: opts.registry,
    ...(opts.fetchTopology ? { fetchTopology: opts.fetchTopology } : {}),
  });

  const identityHex = toHex(opts.keys.identityPublicKey);
  let complainedEpoch = -1;
  agent.onDocument((doc, _previous) => {
    if (doc.keyRotation !== ring.current.rotation) {
      if (doc.keyRotation < ring.current.rotation)
        logger.warn(
          { keyRotation: doc.keyRotation, ours: ring.current.rotation },
          'the directory went back to an older key rotation; following it with a new key',
        );
      ring.advance(doc.keyRotation, doc.graceMs);
    }
    // The previous epoch's nodes stay allowed for graceMs: packets in flight still arrive.
    opts.membership.update(membersFromDocument(doc), { graceMs: doc.graceMs });
    // Listed with another key than ours for this rotation: the directory has an old descriptor.
    const listed = listedKey(doc, identityHex);
    const ours = ring.get(doc.keyRotation);
    if (listed && ours && listed !== toHex(ours.publicKey) && complainedEpoch !== doc.epoch) {
      complainedEpoch = doc.epoch;
      logger.warn({ epoch: doc.epoch }, 'the document lists another Sphinx key for this node; announcing again');
      void agent.announce();
    }
  });
  ring.onChange(() => void agent.announce());
  agent.start();
  return agent;
}

/** The Sphinx key a document lists for the node with this identity, if it lists it. */
function listedKey(doc: TopologyDocument, identityHex: string): string | undefined {
  for (const n of [...doc.layers.flat(), ...doc.gateways, ...doc.standby])
    if (n.identityKey === identityHex) return n.sphinxKey;
  return undefined;
}
