/**
 * A mix node (issue #4): unwrap one layer, refuse replays, hold each packet for the delay its
 * sender chose (one scheduler for all), forward. Final-hop packets are refused: only gateways
 * deliver, except the mix's own loop cover coming home.
 */
import type { MixNodeConfig } from './config.js';
import type { Logger } from './logger.js';
import { createLoopCover, type LoopCover } from './loop-cover.js';
import type { NodeMetrics } from './metrics.js';
import { createRelay } from './relay.js';
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
}

interface Held {
  nextAddress: Uint8Array;
  packet: Uint8Array;
  frame: Uint8Array | undefined;
  receivedAt: number;
  trace: TraceIn | undefined;
}

export async function createMixNode(config: MixNodeConfig, opts: { logger?: Logger } = {}): Promise<MixNode> {
  let cover: LoopCover | undefined;
  const maxDelayNs = BigInt(Math.round(config.maxDelayMs * 1e6));
  const relay = await createRelay({
    config,
    ...(opts.logger ? { logger: opts.logger } : {}),
    onProcessed: (outcome, receivedAt, trace) => {
      if (outcome.kind === 'final') {
        if (!cover?.returned(outcome.destination, outcome.identifier)) relay.drop('final_at_mix');
        if (trace) relay.tracer?.hop(trace, null);
        return;
      }
      if (outcome.delayNs > maxDelayNs) {
        relay.drop('delay_too_large');
        if (trace) relay.tracer?.hop(trace, null);
        return;
      }
      const delayMs = Number(outcome.delayNs) / 1e6;
      relay.metrics.requestedDelay.observe(delayMs / 1000);
      scheduler.schedule(delayMs - (performance.now() - receivedAt), {
        nextAddress: outcome.nextAddress,
        packet: outcome.packet,
        frame: outcome.frame,
        receivedAt,
        trace,
      });
      relay.metrics.schedulerDepth.set(scheduler.size);
    },
  });
  const release = (held: Held) => {
    relay.metrics.hold.observe((performance.now() - held.receivedAt) / 1000);
    const t = relay.tracer;
    if (t && held.trace) t.hop(held.trace, { nx: t.nameOf(held.nextAddress), hx: t.wireId(held.packet) });
    relay.forward(held.nextAddress, held.packet, held.frame);
  };
  const scheduler = createScheduler<Held>({
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
