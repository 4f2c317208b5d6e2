/**
 * A mix node (issue #4): unwrap one layer, refuse replays, hold each packet for the delay its
 * sender chose (one scheduler for all), forward. Final-hop packets are refused: only gateways
 * deliver, except the mix's own loop cover coming home.
 */
import type { MixNodeConfig } from './config.js';
import type { Logger } from './logger.js';
import { createLoopCover, type LoopCover } from './loop-cover.js';
import type { NodeMetrics } from './metrics.js';
import { createRelay, type NodeOptions, type Relay } from './relay.js';
import { createScheduler } from './scheduler.js';
import type { TraceIn } from './trace.js';

export interface MixNode {
  start(): Promise<{ port: number; metricsPort: number | null }>;
  /** Stops accepting, forwards everything held at once, saves state. */
  stop(): Promise<void>;
  /** The Sphinx routing address (32 bytes) and the X25519 public key. */
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** The network's members (see Relay.membership); the directory feeds it. */
  readonly membership: Relay['membership'];
}

/**
 * A packet from a worker is a view into that worker's whole outcome batch. Held longer than this
 * it is copied out, so a few long holds cannot keep whole batches alive (issue 14 #16); shorter
 * holds release their batch soon anyway and skip the copy.
 */
const COPY_HELD_AFTER_MS = 100;

/** The packet's own bytes: next address and frame in one fresh buffer. */
function detach(held: Held): void {
  const frame = held.frame;
  if (frame === undefined) return;
  const own = new Uint8Array(32 + frame.length);
  own.set(held.nextAddress.subarray(0, 32), 0);
  own.set(frame, 32);
  held.nextAddress = own.subarray(0, 32);
  held.frame = own.subarray(32);
  held.packet = own.subarray(32 + frame.length - held.packet.length);
}

interface Held {
  nextAddress: Uint8Array;
  packet: Uint8Array;
  frame: Uint8Array | undefined;
  receivedAt: number;
  trace: TraceIn | undefined;
}

export async function createMixNode(config: MixNodeConfig, opts: NodeOptions = {}): Promise<MixNode> {
  let cover: LoopCover | undefined;
  const maxDelayNs = BigInt(Math.round(config.maxDelayMs * 1e6));
  const relay = await createRelay({
    config,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.packetPool ? { packetPool: opts.packetPool } : {}),
    ...(opts.fetchTopology ? { fetchTopology: opts.fetchTopology } : {}),
    onProcessed: (outcome, receivedAt, trace) => {
      if (outcome.kind === 'final') {
        if (cover?.returned(outcome.destination, outcome.identifier)) relay.end(trace);
        else relay.drop('final_at_mix', 1, trace);
        return;
      }
      if (outcome.delayNs > maxDelayNs) {
        relay.drop('delay_too_large', 1, trace);
        return;
      }
      const delayMs = Number(outcome.delayNs) / 1e6;
      relay.metrics.requestedDelay.observe(delayMs / 1000);
      const holdMs = delayMs - (performance.now() - receivedAt);
      const held: Held = {
        nextAddress: outcome.nextAddress,
        packet: outcome.packet,
        frame: outcome.frame,
        receivedAt,
        trace,
      };
      if (holdMs > COPY_HELD_AFTER_MS) detach(held);
      if (!scheduler.schedule(holdMs, held)) {
        relay.drop('scheduler_full', 1, trace);
        return;
      }
      relay.metrics.schedulerDepth.set(scheduler.size);
    },
  });
  const release = (held: Held) => {
    relay.metrics.hold.observe((performance.now() - held.receivedAt) / 1000);
    relay.forward(held.nextAddress, held.packet, held.frame, held.trace);
  };
  const scheduler = createScheduler<Held>({
    maxItems: config.scheduler.maxPackets,
    maxBytes: config.scheduler.maxBytes,
    sizeOf: (held) => held.frame?.length ?? held.packet.length,
    onDue: (held) => {
      release(held);
      relay.metrics.schedulerDepth.set(scheduler.size);
    },
    onError: (err) => relay.logger.error({ err: (err as Error).message }, 'forwarding a held packet failed'),
  });

  return {
    get address() {
      return relay.address;
    },
    get publicKey() {
      return relay.keyRing.current.publicKey;
    },
    metrics: relay.metrics,
    logger: relay.logger,
    membership: relay.membership,
    async start() {
      const started = await relay.start(() => ({
        status: 'ok',
        role: 'mix',
        id: config.id,
        layer: config.layer,
        held: scheduler.size,
        queued: relay.links.queued,
        ...relay.keyStatus(),
      }));
      relay.joinDirectory();
      if (config.cover && config.cover.rateHz > 0) {
        const agent = relay.directory;
        cover = createLoopCover({
          relay,
          layer: config.layer,
          cover: config.cover,
          ...(agent ? { document: () => agent.current() } : {}),
        });
        cover.start();
      }
      return started;
    },
    async stop() {
      cover?.stop();
      await relay.stop(() => {
        scheduler.stop();
        for (const held of scheduler.drain()) release(held);
        relay.metrics.schedulerDepth.set(0);
      });
    },
  };
}
