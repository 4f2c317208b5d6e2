/**
 * What mixes and gateways share: keys, metrics, the inbound packet server, the worker pool, the
 * replay filter and the outbound links, started and stopped in the right order.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNodeAddress, encodeNodeAddress } from '@mixnet/sphinx';
import type { GatewayConfig, MixNodeConfig } from './config.js';
import { FD_HEADROOM, openFileLimit } from './fd-limit.js';
import { loadNodeKeys, type NodeKeys } from './keys.js';
import { createLinkPool, type LinkPool } from './link.js';
import { createLogger, type Logger, throttledWarn } from './logger.js';
import { createMembership, type Membership } from './membership.js';
import { loadTopologyMembers } from './membership-topology.js';
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
  UNSUPPORTED_VERSION: 'legacy_version',
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
  /**
   * The network's members: the only next hops `forward` takes and the only hosts the packet port
   * serves. Loaded from `network.topologyFile` at start; the directory will call `update` later.
   */
  membership: Membership;
  /** The 32-byte Sphinx address other nodes route to (announce, else listen). */
  address: Uint8Array;
  drop(reason: DropReason, count?: number): void;
  /**
   * Hands a packet to the next hop named by a Sphinx address. `frame`: the packet already framed
   * for the wire (a worker's outcome), else it is framed here. False if dropped (not a member, bad address).
   */
  forward(nextAddress: Uint8Array, packet: Uint8Array, frame?: Uint8Array): boolean;
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
  const drop = (reason: DropReason, count = 1) => metrics.dropped.inc({ reason }, count);

  const links = createLinkPool({
    maxQueue: config.links.maxQueue,
    maxQueuedBytes: config.links.maxQueuedBytes,
    maxQueueAgeMs: config.links.maxQueueAgeMs,
    backoff: config.links.backoff,
    hello: config.id,
    ...(config.links.emulation ? { emulation: config.links.emulation } : {}),
    onDrop: (reason, count) => drop(reason, count),
  });
  const membership = createMembership();
  membership.onDeparted((hops) => void links.closeLinks(hops));
  metrics.sources.members = () => membership.size;
  metrics.sources.linkQueue = () => links.queued;
  metrics.sources.linkQueueBytes = () => links.queuedBytes;
  let replay: ReplayFilter | undefined;
  let processor: PacketProcessor | undefined;
  let server: PacketServer | undefined;
  let metricsServer: { close: () => Promise<void>; port: number } | undefined;
  let address = encodeNodeAddress(config.announce ?? config.listen);

  // Backpressure: past the high-water mark of packets in processing, stop reading from peers.
  const HIGH_WATER = 2048 * Math.max(1, config.workers);
  const LOW_WATER = HIGH_WATER / 2;
  const tracer = config.trace ? createTracer({ ...config.trace, id: config.id }) : undefined;
  const ingest = (packet: Uint8Array, peer?: string) => {
    const receivedAt = performance.now();
    const trace = tracer && { ti: tracer.now(), pi: peer ?? 'unknown', hi: tracer.wireId(packet) };
    if (processor && server && !server.paused && processor.inFlight >= HIGH_WATER) server.pause();
    processor?.process(packet, (outcome) => {
      if (server?.paused && (processor?.inFlight ?? 0) <= LOW_WATER) server.resume();
      if (outcome.kind === 'error') {
        drop(SPHINX_DROP[outcome.code] ?? 'malformed');
        if (trace) tracer?.hop(trace, null);
        return;
      }
      metrics.processing.observe(outcome.processingNs / 1e9);
      if (replay?.checkAndAdd(outcome.replayTag)) {
        metrics.replays.inc();
        drop('replay');
        if (trace) tracer?.hop(trace, null);
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
    membership,
    get address() {
      return address;
    },
    drop,
    tracer,
    forward(nextAddress, packet, frame) {
      let to: { host: string; port: number };
      try {
        to = decodeNodeAddress(nextAddress);
      } catch {
        drop('bad_next_hop');
        return false;
      }
      // Only to the network's nodes: never an open relay to any host:port a sender names (#1).
      if (!membership.allowsNextHop(to.host, to.port)) {
        drop('unknown_next_hop');
        return false;
      }
      links.send(to, packet, frame);
      metrics.forwarded.inc();
      return true;
    },
    ingest,
    async start(health) {
      if (config.network) membership.update(loadTopologyMembers(config.network.topologyFile));
      const fdLimit = openFileLimit();
      const fdNeeded =
        config.inbound.maxConnections + (config.role === 'gateway' ? config.websocket.maxConnections : 0) + FD_HEADROOM;
      if (fdLimit !== undefined && fdLimit < fdNeeded)
        logger.warn(
          { fdLimit, fdNeeded },
          'open-file limit below the connection caps: raise it (ulimit -n) or lower inbound/websocket.maxConnections',
        );
      else if (membership.size === 0)
        logger.warn(
          'no network.topologyFile: this node forwards nothing and accepts no packets until it learns members',
        );
      replay = await openReplayFilter({
        packetRate: config.replay.packetRate,
        keyLifetimeSec: config.replay.keyLifetimeSec,
        falsePositiveRate: config.replay.falsePositiveRate,
        saveIntervalMs: config.replay.saveIntervalMs,
        path: join(config.dataDir, 'replay-filter.bin'),
        onSaveError: (err) => logger.error({ err: err.message }, 'saving the replay filter failed'),
      });
      processor = createPacketProcessor({
        privateKey: keys.sphinxPrivateKey,
        workers: config.workers,
        allowLegacyVersions: config.allowLegacyVersions,
      });
      server = createPacketServer({
        host: config.listen.host,
        port: config.listen.port,
        maxFrameSize: config.maxFrameSize,
        maxConnections: config.inbound.maxConnections,
        maxConnectionsPerIp: config.inbound.maxConnectionsPerIp,
        firstFrameTimeoutMs: config.inbound.firstFrameTimeoutMs,
        idleTimeoutMs: config.inbound.idleTimeoutMs,
        // Packets only from the network's nodes (#4, #12): outsiders never hold a slot.
        allowPeer: (ip) => membership.isMemberHost(ip),
        onRefused: (reason) => metrics.refusedConnections.inc({ kind: 'tcp_in', reason }),
        onError: throttledWarn(logger, 'packet server error'),
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
