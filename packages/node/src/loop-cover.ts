/**
 * Mix loop cover (Loopix λ_M; issue #4 item 8): at a Poisson rate the mix builds a packet through
 * one node of every other layer and back to itself, so its output never goes quiet, and counts
 * loops that do not come back (a sign that someone delays or drops its traffic).
 *
 * Routes come from the topology file, or with a directory from the current document: its active
 * layers with each node's key of the document's rotation, and the mix's own layer there (a standby
 * mix, in no layer, sends no loops: it carries no traffic to hide).
 */
import { readFileSync } from 'node:fs';
import { createPacket, NYM_PAYLOAD_SIZES } from '@mixnet/sphinx';
import {
  NETWORK_PACKET_VERSION,
  routeHop,
  type TopologyDocument,
  type TopologyNode,
  validateTopology,
} from '@mixnet/sphinx/wire';
import type { MixNodeConfig } from './config.js';
import type { Relay } from './relay.js';

export interface LoopCoverOptions {
  relay: Relay;
  layer: number;
  cover: NonNullable<MixNodeConfig['cover']>;
  /** With a directory: the current document (else `cover.topologyFile` is read once). */
  document?: () => TopologyDocument | undefined;
  random?: () => number;
}

export interface LoopCover {
  start(): void;
  stop(): void;
  /** True (and counted) if a final-hop packet is one of our loops coming back. */
  returned(destination: Uint8Array, identifier: Uint8Array): boolean;
}

const exp = (mean: number, random: () => number) => -mean * Math.log(1 - random());

export function createLoopCover(opts: LoopCoverOptions): LoopCover {
  const { relay, cover } = opts;
  const random = opts.random ?? Math.random;
  // Our loops come back addressed to this marker (seen only by us, the final hop).
  const self = relay.keys.sphinxPublicKey;
  const identityHex = Buffer.from(relay.keys.identityPublicKey).toString('hex');
  const fromFile = () => {
    if (!cover.topologyFile) throw new Error('loop cover: no topologyFile and no directory document');
    const topology = validateTopology(JSON.parse(readFileSync(cover.topologyFile, 'utf8')));
    const ownKeyHex = Buffer.from(relay.keyRing.current.publicKey).toString('hex');
    return otherLayers(topology.layers, opts.layer, (n) => n.sphinxKey === ownKeyHex);
  };
  const file = opts.document ? undefined : fromFile();
  let planned: { doc: TopologyDocument; others: TopologyNode[][] | undefined } | undefined;
  // The other layers to route through and our own key for the last hop; undefined: no loop now.
  const plan = (): { others: TopologyNode[][]; key: Uint8Array } | undefined => {
    if (file) return { others: file, key: relay.keyRing.current.publicKey };
    const doc = opts.document?.();
    if (!doc) return undefined;
    if (planned?.doc !== doc) {
      const layer = doc.layers.findIndex((l) => l.some((n) => n.identityKey === identityHex));
      const others = layer < 0 ? undefined : otherLayers(doc.layers, layer + 1, (n) => n.identityKey === identityHex);
      planned = { doc, others };
    }
    const key = relay.keyRing.get(doc.keyRotation)?.publicKey;
    return planned.others && key ? { others: planned.others, key } : undefined;
  };
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let sweep: NodeJS.Timeout | undefined;

  const sendOne = () => {
    const p = plan();
    if (!p || p.others.some((l) => l.length === 0)) return;
    const hops = p.others.map((layer) => routeHop(layer[Math.floor(random() * layer.length)] as TopologyNode));
    const route = [...hops, { address: relay.address, publicKey: p.key }];
    const identifier = crypto.getRandomValues(new Uint8Array(16));
    const packet = createPacket({
      route,
      delaysNs: route.map(() => BigInt(Math.round(exp(cover.meanDelayMs, random) * 1e6))),
      destination: self,
      identifier,
      message: new Uint8Array(0),
      payloadSize: NYM_PAYLOAD_SIZES.regular,
      version: NETWORK_PACKET_VERSION, // as clients send: one version for every hop to see
    });
    pending.set(Buffer.from(identifier).toString('hex'), performance.now());
    relay.metrics.loopsSent.inc();
    relay.forward((route[0] as (typeof route)[number]).address, packet);
  };

  const next = () => {
    timer = setTimeout(
      () => {
        sendOne();
        next();
      },
      exp(1000 / cover.rateHz, random),
    );
    timer.unref();
  };

  return {
    start() {
      next();
      sweep = setInterval(
        () => {
          const cutoff = performance.now() - cover.timeoutMs;
          for (const [id, sentAt] of pending) {
            if (sentAt < cutoff) {
              pending.delete(id);
              relay.metrics.loopsLost.inc();
            }
          }
        },
        Math.min(cover.timeoutMs, 5_000),
      );
      sweep.unref();
    },
    stop() {
      clearTimeout(timer);
      clearInterval(sweep);
    },
    returned(destination, identifier) {
      if (Buffer.compare(destination, self) !== 0) return false;
      const id = Buffer.from(identifier).toString('hex');
      const sentAt = pending.get(id);
      if (sentAt === undefined) return false;
      pending.delete(id);
      relay.metrics.loopsReturned.inc();
      relay.metrics.loopRtt.observe((performance.now() - sentAt) / 1000);
      return true;
    },
  };
}

/** Every layer but ours (1-based `layer`), in route order after ours, without us: ≤ 3 hops before our own. */
function otherLayers(layers: TopologyNode[][], layer: number, isSelf: (n: TopologyNode) => boolean): TopologyNode[][] {
  return [...layers.slice(layer), ...layers.slice(0, layer - 1)].map((l) => l.filter((n) => !isSelf(n)));
}
