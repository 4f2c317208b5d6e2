/**
 * What mixes and gateways share: keys, metrics, the inbound packet server, the worker pool, the
 * replay filter and the outbound links, started and stopped in the right order.
 */
import { mkdirSync } from 'node:fs';
import { decodeNodeAddress, encodeNodeAddress } from '@mixnet/sphinx';
import { bootstrapPeers } from './bootstrap-peers.js';
import type { GatewayConfig, MixNodeConfig } from './config.js';
import type { DirectoryAgent } from './directory-agent.js';
import type { TopologyFetcher } from './directory-client.js';
import { createFaultAdmin } from './fault-admin.js';
import { createFaultTable, type FaultTable } from './faults.js';
import { FD_HEADROOM, openFileLimit } from './fd-limit.js';
import { loadNodeKeys, type NodeKeys, readTokenFile } from './keys.js';
import { createLinkPool, emulationRule, type LinkPool } from './link.js';
import { createLogger, type Logger, throttledWarn } from './logger.js';
import { createMembership, type Membership } from './membership.js';
import { loadTopologyMembers } from './membership-topology.js';
import { createNodeMetrics, type DropReason, type NodeMetrics, serveMetrics } from './metrics.js';
import { startNodeDirectory } from './node-directory.js';
import {
  createPacketProcessor,
  type PacketPool,
  type PacketProcessor,
  type ProcessOutcome,
} from './packet-processor.js';
import { createPacketServer, type PacketServer } from './packet-server.js';
import { createRelayKeys } from './relay-keys.js';
import type { SphinxKeyRing } from './sphinx-keys.js';
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
  /** Sphinx workers shared with other nodes of a host (`mixnet run host`); else the node starts its own. */
  packetPool?: PacketPool;
  /** The topology fetcher shared by the nodes of a host; else each node fetches for itself. */
  fetchTopology?: TopologyFetcher;
}

/** What a mix or gateway takes besides its config. */
export type NodeOptions = Pick<RelayOptions, 'logger' | 'packetPool' | 'fetchTopology'>;

export interface Relay {
  config: MixNodeConfig | GatewayConfig;
  keys: NodeKeys;
  /** The Sphinx keys by rotation (one static key without a directory). */
  keyRing: SphinxKeyRing;
  logger: Logger;
  metrics: NodeMetrics;
  links: LinkPool;
  /** Link faults: the config's (links.emulation, links.faults) and those set at run time. */
  faults: FaultTable;
  /**
   * The network's members: the only next hops `forward` takes and the only hosts the packet port
   * serves. Loaded from `network.topologyFile` at start; the directory will call `update` later.
   */
  membership: Membership;
  /** The 32-byte Sphinx address other nodes route to (announce, else listen). */
  address: Uint8Array;
  /** Counts a dropped packet; in trace mode (`trace` given) also writes its end, `tx` null. */
  drop(reason: DropReason, count?: number, trace?: TraceIn): void;
  /** A packet that ends here without being dropped (a loop home, drop cover, a mailboxed message): its trace record. */
  end(trace: TraceIn | undefined): void;
  /**
   * Hands a packet to the next hop named by a Sphinx address. `frame`: the packet already framed
   * for the wire (a worker's outcome), else it is framed here. In trace mode writes its departure.
   * False if dropped (not a member, bad address).
   */
  forward(nextAddress: Uint8Array, packet: Uint8Array, frame?: Uint8Array, trace?: TraceIn): boolean;
  /** Runs a packet through Sphinx processing and the replay filter (also for a mix's own loops). */
  ingest(packet: Uint8Array, peer?: string): void;
  /** Set in trace mode only. */
  tracer: Tracer | undefined;
  /** The directory agent, once joinDirectory ran with `config.directory` set. */
  readonly directory: DirectoryAgent | undefined;
  /** After start (and a gateway's WebSocket is bound): registers with the directory, if configured. */
  joinDirectory(opts?: { websocketPort?: number }): void;
  /** For health output: the current key rotation, and the epoch with a directory. */
  keyStatus(): { keyRotation: number; epoch?: number };
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
  const sphinx = createRelayKeys({ config, keys, logger, metrics });

  // Static emulation is the first base rule of the same table live faults go into.
  const faults = createFaultTable({
    base: [...(config.links.emulation ? [emulationRule(config.links.emulation)] : []), ...(config.links.faults ?? [])],
  });
  const adminToken = config.admin ? readTokenFile(config.admin.tokenFile) : undefined;
  const membership = createMembership();
  // Until the first document: peers in config.bootstrapPeers count as members (bootstrap-peers.ts).
  const bootstrapAllows = bootstrapPeers(config.bootstrapPeers, () => membership.size === 0);
  const links = createLinkPool({
    maxQueue: config.links.maxQueue,
    maxQueuedBytes: config.links.maxQueuedBytes,
    maxQueueAgeMs: config.links.maxQueueAgeMs,
    backoff: config.links.backoff,
    hello: config.id,
    faults,
    peerOf: (host, port) => membership.idOf(host, port),
    onDrop: (reason, count) => drop(reason, count),
  });
  metrics.sources.faultRules = () => faults.base.length + faults.rules().length;
  membership.onDeparted((hops) => void links.closeLinks(hops));
  metrics.sources.members = () => membership.size;
  metrics.sources.linkQueue = () => links.queued;
  metrics.sources.linkQueueBytes = () => links.queuedBytes;
  let processor: PacketProcessor | undefined;
  let server: PacketServer | undefined;
  let metricsServer: { close: () => Promise<void>; port: number } | undefined;
  let directory: DirectoryAgent | undefined;
  let address = encodeNodeAddress(config.announce ?? config.listen);

  // Backpressure: past the high-water mark of packets in processing, stop reading from peers.
  const HIGH_WATER = 2048 * Math.max(1, config.workers);
  const LOW_WATER = HIGH_WATER / 2;
  // Packets that passed the replay check wait here until their tags are journaled (one write(2)
  // per batch, at the end of the tick): none leaves before its tag would survive a crash.
  type Accepted = Exclude<ProcessOutcome, { kind: 'error' }>;
  let waiting: { outcome: Accepted; receivedAt: number; trace: TraceIn | undefined }[] = [];
  let journalFailing = false;
  const handOff = () => {
    try {
      sphinx.replay.flush();
      if (journalFailing) logger.info('the replay tag journal is written again');
      journalFailing = false;
    } catch (err) {
      // Forward anyway: the periodic snapshot still saves these tags, and refusing all traffic
      // because a disk is full would take the node down.
      if (!journalFailing) logger.error({ err: (err as Error).message }, 'writing the replay tag journal failed');
      journalFailing = true;
    }
    const batch = waiting;
    waiting = [];
    for (const w of batch) opts.onProcessed(w.outcome, w.receivedAt, w.trace);
  };

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
      const seen = sphinx.replay.checkAndAdd(outcome.rotation, outcome.replayTag);
      if (seen !== false) {
        if (seen) metrics.replays.inc();
        // undefined: its key was dropped while the packet was being processed.
        drop(seen ? 'replay' : 'bad_mac', 1, trace);
        return;
      }
      if (waiting.length === 0) queueMicrotask(handOff);
      waiting.push({ outcome, receivedAt, trace });
    });
  };

  const relay: Relay = {
    config,
    keys,
    keyRing: sphinx.ring,
    logger,
    metrics,
    links,
    faults,
    membership,
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
        return false;
      }
      // Only to the network's nodes: never an open relay to any host:port a sender names (#1).
      if (!membership.allowsNextHop(to.host, to.port) && !bootstrapAllows(to.host)) {
        drop('unknown_next_hop', 1, trace);
        return false;
      }
      if (trace && tracer) tracer.hop(trace, { nx: tracer.nameOf(nextAddress), hx: tracer.wireId(packet) });
      links.send(to, packet, frame);
      metrics.forwarded.inc();
      return true;
    },
    ingest,
    get directory() {
      return directory;
    },
    joinDirectory(o = {}) {
      directory ??= startNodeDirectory({
        config,
        keys,
        ring: sphinx.ring,
        address,
        metricsPort: metricsServer?.port ?? null,
        ...(o.websocketPort !== undefined ? { websocketPort: o.websocketPort } : {}),
        logger,
        registry: metrics.registry,
        membership,
        ...(opts.fetchTopology ? { fetchTopology: opts.fetchTopology } : {}),
      });
    },
    keyStatus() {
      const epoch = directory?.status().epoch;
      return { keyRotation: sphinx.ring.current.rotation, ...(epoch !== undefined ? { epoch } : {}) };
    },
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
      else if (membership.size === 0 && !config.directory)
        logger.warn(
          'no network.topologyFile: this node forwards nothing and accepts no packets until it learns members',
        );
      await sphinx.start();
      processor = opts.packetPool
        ? opts.packetPool.processor(sphinx.processingKeys())
        : createPacketProcessor({
            keys: sphinx.processingKeys(),
            workers: config.workers,
            allowLegacyVersions: config.allowLegacyVersions,
          });
      sphinx.attach(processor);
      server = createPacketServer({
        host: config.listen.host,
        port: config.listen.port,
        maxFrameSize: config.maxFrameSize,
        maxConnections: config.inbound.maxConnections,
        maxConnectionsPerIp: config.inbound.maxConnectionsPerIp,
        firstFrameTimeoutMs: config.inbound.firstFrameTimeoutMs,
        idleTimeoutMs: config.inbound.idleTimeoutMs,
        // Packets only from the network's nodes (#4, #12): outsiders never hold a slot.
        allowPeer: (ip) => membership.isMemberHost(ip) || bootstrapAllows(ip),
        onRefused: (reason) => metrics.refusedConnections.inc({ kind: 'tcp_in', reason }),
        onError: throttledWarn(logger, 'packet server error'),
        onPacket: (packet, _from, peer) => {
          metrics.received.inc();
          if (faults.active) {
            const e = faults.effect(peer, 'in');
            if (e.partition) return drop('fault_partition');
            if (e.lossRate > 0 && Math.random() < e.lossRate) return drop('fault_loss');
          }
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
        const route = createFaultAdmin({ table: faults, ...(adminToken ? { token: adminToken } : {}), logger });
        metricsServer = await serveMetrics(metrics, config.metrics, health, route);
      }
      logger.info(
        {
          port: bound.port,
          metricsPort: metricsServer?.port ?? null,
          workers: config.workers,
          keyRotation: sphinx.ring.current.rotation,
        },
        'listening',
      );
      return { port: bound.port, metricsPort: metricsServer?.port ?? null };
    },
    async stop(beforeLinksFlush) {
      await directory?.stop();
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
      await sphinx.close();
      await metricsServer?.close();
      faults.close();
      await tracer?.close();
      logger.info('stopped');
    },
  };
  return relay;
}
