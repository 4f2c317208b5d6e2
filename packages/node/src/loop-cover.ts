/**
 * Mix loop cover (Loopix λ_M; issue #4 item 8): at a Poisson rate the mix builds a packet through
 * one node of every other layer and back to itself, so its output never goes quiet, and counts
 * loops that do not come back (a sign that someone delays or drops its traffic).
 */
import { readFileSync } from 'node:fs';
import { createPacket, NYM_PAYLOAD_SIZES } from '@mixnet/sphinx';
import { NETWORK_PACKET_VERSION, routeHop, type Topology, validateTopology } from '@mixnet/sphinx/wire';
import type { MixNodeConfig } from './config.js';
import type { Relay } from './relay.js';

export interface LoopCoverOptions {
  relay: Relay;
  layer: number;
  cover: NonNullable<MixNodeConfig['cover']>;
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
  const topology: Topology = validateTopology(JSON.parse(readFileSync(cover.topologyFile, 'utf8')));
  const self = relay.keys.sphinxPublicKey;
  const ownKeyHex = Buffer.from(self).toString('hex');
  // Every layer but ours, in order after ours, then ourselves: at most 4 layers, so ≤ 4 hops.
  const others = [...topology.layers.slice(opts.layer), ...topology.layers.slice(0, opts.layer - 1)].map((layer) =>
    layer.filter((n) => n.sphinxKey !== ownKeyHex),
  );
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let sweep: NodeJS.Timeout | undefined;

  const sendOne = () => {
    if (others.some((l) => l.length === 0)) return;
    const hops = others.map((layer) => routeHop(layer[Math.floor(random() * layer.length)] as (typeof layer)[number]));
    const route = [...hops, { address: relay.address, publicKey: self }];
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
