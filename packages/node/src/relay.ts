/**
 * What mixes and gateways share: keys, metrics, the inbound packet server, the worker pool, the
 * replay filter and the outbound links, started and stopped in the right order.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNodeAddress, encodeNodeAddress } from '@mixnet/sphinx';
import type { GatewayConfig, MixNodeConfig } from './config.js';
import { loadNodeKeys, type NodeKeys } from './keys.js';
import { createLinkPool, type LinkPool } from './link.js';
import { createLogger, type Logger } from './logger.js';
import { createNodeMetrics, type DropReason, type NodeMetrics, serveMetrics } from './metrics.js';
import { createPacketProcessor, type PacketProcessor, type ProcessOutcome } from './packet-processor.js';
import { createPacketServer, type PacketServer } from './packet-server.js';
import { openReplayFilter, type ReplayFilter } from './replay-filter.js';
import { createTracer, type TraceIn, type Tracer } from './trace.js';

const SPHINX_DROP: Record<string, DropReason> = {
  INVALID_PACKET: 'malformed',
  INVALID_HEADER: 'bad_mac',
  INVALID_ROUTING: 'bad_routing',
  INVALID_PAYLOAD: 'bad_payload',
  overloaded: 'overloaded',
};

export interface RelayOptions {
  config: MixNodeConfig | GatewayConfig;
  /** Called for every packet that passed Sphinx processing and the replay check (`trace` in trace mode). */
  onProcessed: (
    outcome: Exclude<ProcessOutcome, { kind: 'error' }>,
    receivedAt: number,
    trace: TraceIn | undefined,
  ) => void;
  logger?: Logger;
}

export interface Relay {
  config: MixNodeConfig | GatewayConfig;
  keys: NodeKeys;
  logger: Logger;
  metrics: NodeMetrics;
  links: LinkPool;
  /** The 32-byte Sphinx address other nodes route to (announce, else listen). */
  address: Uint8Array;
  /** Counts a dropped packet; in trace mode (`trace` given) also writes its end, `tx` null. */
  drop(reason: DropReason, count?: number, trace?: TraceIn): void;
  /** A packet that ends here without being dropped (a loop home, drop cover, a mailboxed message): its trace record. */
  end(trace: TraceIn | undefined): void;
  /**
   * Hands a packet to the next hop named by a Sphinx address. `frame`: the packet already framed
   * for the wire (a worker's outcome), else it is framed here. In trace mode writes its departure.
   */
  forward(nextAddress: Uint8Array, packet: Uint8Array, frame?: Uint8Array, trace?: TraceIn): void;
  /** Runs a packet through Sphinx processing and the replay filter (also for a mix's own loops). */
  ingest(packet: Uint8Array, peer?: string): void;
  /** Set in trace mode only. */
  tracer: Tracer | undefined;
  start(health: () => Record<string, unknown>): Promise<{ port: number; metricsPort: number | null }>;
  stop(beforeLinksFlush: () => void): Promise<void>;
}

export async function createRelay(opts: RelayOptions): Promise<Relay> {
  const { config } = opts;
  const logger = opts.logger ?? createLogger({ level: config.log.level, name: config.id });
  const keys = loadNodeKeys(config.keys);
  const metrics = createNodeMetrics({ role: config.role, id: config.id });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const tracer = config.trace ? createTracer({ ...config.trace, id: config.id }) : undefined;
  const end = (trace: TraceIn | undefined) => {
    if (trace) tracer?.hop(trace, null);
  };
  const drop = (reason: DropReason, count = 1, trace?: TraceIn) => {
    metrics.dropped.inc({ reason }, count);
    end(trace);
  };

  const links = createLinkPool({
    maxQueue: config.links.maxQueue,
    backoff: config.links.backoff,
    hello: config.id,
    ...(config.links.emulation ? { emulation: config.links.emulation } : {}),
    onDrop: (reason, count) => drop(reason, count),
  });
  let replay: ReplayFilter | undefined;
  let processor: PacketProcessor | undefined;
  let server: PacketServer | undefined;
  let metricsServer: { close: () => Promise<void>; port: number } | undefined;
  let address = encodeNodeAddress(config.announce ?? config.listen);

  // Backpressure: past the high-water mark of packets in processing, stop reading from peers.
  const HIGH_WATER = 2048 * Math.max(1, config.workers);
  const LOW_WATER = HIGH_WATER / 2;
  const ingest = (packet: Uint8Array, peer?: string) => {
    const receivedAt = performance.now();
    const trace = tracer && { ti: tracer.now(), pi: peer ?? 'unknown', hi: tracer.wireId(packet) };
    if (processor && server && !server.paused && processor.inFlight >= HIGH_WATER) server.pause();
    processor?.process(packet, (outcome) => {
      if (server?.paused && (processor?.inFlight ?? 0) <= LOW_WATER) server.resume();
      if (outcome.kind === 'error') {
        drop(SPHINX_DROP[outcome.code] ?? 'malformed', 1, trace);
        return;
      }
      metrics.processing.observe(outcome.processingNs / 1e9);
      if (replay?.checkAndAdd(outcome.replayTag)) {
        metrics.replays.inc();
        drop('replay', 1, trace);
        return;
      }
      opts.onProcessed(outcome, receivedAt, trace);
    });
  };

  const relay: Relay = {
    config,
    keys,
    logger,
    metrics,
    links,
    get address() {
      return address;
    },
    drop,
    end,
    tracer,
    forward(nextAddress, packet, frame, trace) {
      let to: { host: string; port: number };
      try {
        to = decodeNodeAddress(nextAddress);
      } catch {
        drop('bad_next_hop', 1, trace);
        return;
      }
      if (trace && tracer) tracer.hop(trace, { nx: tracer.nameOf(nextAddress), hx: tracer.wireId(packet) });
      links.send(to, packet, frame);
      metrics.forwarded.inc();
    },
    ingest,
    async start(health) {
      replay = await openReplayFilter({
        packetRate: config.replay.packetRate,
        keyLifetimeSec: config.replay.keyLifetimeSec,
        falsePositiveRate: config.replay.falsePositiveRate,
        saveIntervalMs: config.replay.saveIntervalMs,
        path: join(config.dataDir, 'replay-filter.bin'),
        onSaveError: (err) => logger.error({ err: err.message }, 'saving the replay filter failed'),
      });
      processor = createPacketProcessor({ privateKey: keys.sphinxPrivateKey, workers: config.workers });
      server = createPacketServer({
        host: config.listen.host,
        port: config.listen.port,
        maxFrameSize: config.maxFrameSize,
        onPacket: (packet, _from, peer) => {
          metrics.received.inc();
          ingest(packet, peer);
        },
        onBadFrame: (code, from) => {
          metrics.badFrames.inc({ code });
          logger.warn({ code, from }, 'closed a connection that sent a malformed frame');
        },
        onConnectionsChange: (open) => metrics.connections.set({ kind: 'tcp_in' }, open),
      });
      const bound = await server.listen();
      if (!config.announce) address = encodeNodeAddress({ host: config.listen.host, port: bound.port });
      if (config.metrics) {
        metricsServer = await serveMetrics(metrics, config.metrics, health);
      }
      logger.info(
        {
          port: bound.port,
          metricsPort: metricsServer?.port ?? null,
          workers: config.workers,
          replayBits: replay.bits,
        },
        'listening',
      );
      return { port: bound.port, metricsPort: metricsServer?.port ?? null };
    },
    async stop(beforeLinksFlush) {
      await server?.close({ destroy: true });
      await processor?.close();
      beforeLinksFlush();
      try {
        await links.flush(5_000);
      } catch (err) {
        logger.warn(
          { err: (err as Error).message, queued: links.queued },
          'some packets could not be flushed to their next hop',
        );
      }
      await links.close();
      await replay?.close();
      await metricsServer?.close();
      await tracer?.close();
      logger.info('stopped');
    },
  };
  return relay;
}
