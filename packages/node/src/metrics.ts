/**
 * Prometheus metrics of one node (prom-client), in a registry of its own so several nodes can
 * share a process (tests), served with a health check on the node's metrics port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type DropReason =
  | 'malformed'
  | 'bad_mac'
  | 'bad_routing'
  | 'bad_payload'
  | 'replay'
  | 'delay_too_large'
  | 'bad_next_hop'
  /** The next hop (or a client's first hop) is not a member of the network (issue 14 #1). */
  | 'unknown_next_hop'
  | 'final_at_mix'
  | 'not_final'
  | 'queue_full'
  /** Link queues: the byte cap across all links, a packet queued too long, a hop that left (#2). */
  | 'queue_bytes'
  | 'expired'
  | 'departed'
  /** The scheduler's packet or byte cap (#16). */
  | 'scheduler_full'
  /** Sphinx versions 1 and 257, refused unless allowLegacyVersions (#13). */
  | 'legacy_version'
  /** Live link faults (faults.ts, issue 17): a loss rule, a partition. */
  | 'fault_loss'
  | 'fault_partition'
  | 'closed'
  | 'mailbox_full'
  /** Mailbox caps over all clients, and final-hop packets for addresses never seen here (#4). */
  | 'mailbox_total_full'
  | 'mailbox_too_many'
  | 'unregistered'
  /** A message whose mailbox write failed and could not be kept for a retry (#10). */
  | 'mailbox_error'
  /** A stored (or retry-pending) message older than mailbox.maxAgeMs. */
  | 'mailbox_expired'
  | 'bad_client_frame'
  | 'overloaded';

/** Read at scrape time, so the hot path never touches these gauges; a role sets what it has. */
export interface MetricSources {
  linkQueue: () => number;
  linkQueueBytes: () => number;
  members: () => number;
  mailboxes: () => number;
  mailboxMessages: () => number;
  registered: () => number;
  pendingWrites: () => number;
  faultRules: () => number;
}

export function createNodeMetrics(labels: { role: string; id: string }) {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  const registers = [registry];
  const sources: MetricSources = {
    linkQueue: () => 0,
    linkQueueBytes: () => 0,
    members: () => 0,
    mailboxes: () => 0,
    mailboxMessages: () => 0,
    registered: () => 0,
    pendingWrites: () => 0,
    faultRules: () => 0,
  };
  const sampled = (name: string, help: string, source: keyof MetricSources) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(sources[source]());
      },
    });
  return {
    registry,
    sources,
    received: new Counter({
      name: 'mixnet_packets_received_total',
      help: 'Sphinx packets received over TCP',
      registers,
    }),
    forwarded: new Counter({
      name: 'mixnet_packets_forwarded_total',
      help: 'Packets handed to the next hop',
      registers,
    }),
    dropped: new Counter({
      name: 'mixnet_packets_dropped_total',
      help: 'Packets dropped, by reason',
      labelNames: ['reason'],
      registers,
    }),
    replays: new Counter({ name: 'mixnet_replays_total', help: 'Packets refused as replays', registers }),
    badFrames: new Counter({
      name: 'mixnet_bad_frames_total',
      help: 'Connections closed for malformed frames, by code',
      labelNames: ['code'],
      registers,
    }),
    processing: new Histogram({
      name: 'mixnet_packet_processing_seconds',
      help: 'Sphinx processing time per packet (in its worker)',
      buckets: [25e-6, 50e-6, 75e-6, 100e-6, 150e-6, 250e-6, 500e-6, 1e-3, 5e-3],
      registers,
    }),
    hold: new Histogram({
      name: 'mixnet_hold_seconds',
      help: 'Time a packet was held by the scheduler, from receipt to hand-off',
      buckets: [0.001, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    requestedDelay: new Histogram({
      name: 'mixnet_requested_delay_seconds',
      help: 'Delay the sender asked for in the header',
      buckets: [0.001, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    schedulerDepth: new Gauge({
      name: 'mixnet_scheduler_depth',
      help: 'Packets held by the delay scheduler',
      registers,
    }),
    linkQueue: sampled('mixnet_link_queue', 'Packets waiting for a next hop', 'linkQueue'),
    linkQueueBytes: sampled('mixnet_link_queue_bytes', 'Bytes waiting for a next hop, all links', 'linkQueueBytes'),
    members: sampled('mixnet_members', 'Nodes of the network this node forwards to', 'members'),
    mailboxes: sampled('mixnet_mailboxes', 'Clients with messages waiting', 'mailboxes'),
    registered: sampled(
      'mixnet_registered_clients',
      'Addresses that authenticated here (mailbox allowed)',
      'registered',
    ),
    pendingWrites: sampled(
      'mixnet_mailbox_pending_writes',
      'Messages whose mailbox write failed, kept in memory for a retry',
      'pendingWrites',
    ),
    faultRules: sampled('mixnet_fault_rules', 'Link fault rules in force (config and live)', 'faultRules'),
    mailboxWriteErrors: new Counter({
      name: 'mixnet_mailbox_write_errors_total',
      help: 'Mailbox writes that failed (the message is retried or counted as dropped)',
      registers,
    }),
    refusedConnections: new Counter({
      name: 'mixnet_connections_refused_total',
      help: 'Inbound connections refused, by port kind and reason',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    spilled: new Counter({
      name: 'mixnet_client_spills_total',
      help: 'Deliveries sent to the mailbox because the client’s socket had too much buffered',
      registers,
    }),
    connections: new Gauge({ name: 'mixnet_connections', help: 'Open connections', labelNames: ['kind'], registers }),
    delivered: new Counter({
      name: 'mixnet_packets_delivered_total',
      help: 'Final-hop payloads pushed to clients',
      registers,
    }),
    mailboxed: new Counter({
      name: 'mixnet_packets_mailboxed_total',
      help: 'Final-hop payloads stored for absent clients',
      registers,
    }),
    coverDropped: new Counter({
      name: 'mixnet_drop_cover_total',
      help: 'Client drop-cover packets that ended here (sent to the all-zero address)',
      registers,
    }),
    mailboxSize: sampled('mixnet_mailbox_messages', 'Messages waiting in mailboxes', 'mailboxMessages'),
    clientPackets: new Counter({
      name: 'mixnet_client_packets_total',
      help: 'Packets sent by clients into the mixnet',
      registers,
    }),
    loopsSent: new Counter({ name: 'mixnet_loop_cover_sent_total', help: 'Mix loop cover packets sent', registers }),
    loopsReturned: new Counter({
      name: 'mixnet_loop_cover_returned_total',
      help: 'Mix loop cover packets back',
      registers,
    }),
    loopsLost: new Counter({
      name: 'mixnet_loop_cover_lost_total',
      help: 'Mix loop cover packets not back in time',
      registers,
    }),
    loopRtt: new Histogram({
      name: 'mixnet_loop_cover_rtt_seconds',
      help: 'Round trip of mix loop cover',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    }),
  };
}

export type NodeMetrics = ReturnType<typeof createNodeMetrics>;

export interface ObservabilityEndpoints {
  /** Prometheus text for GET /metrics. */
  metrics(): Promise<string> | string;
  contentType?: string;
  /** GET /health: 200 when ok, else 503, with `body` as JSON. */
  health(): { ok: boolean; body: Record<string, unknown> };
  /** Other routes (the node's /admin/faults): true if it took the request. */
  route?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** GET /metrics and GET /health on their own port, for every process the project runs. */
export async function serveObservability(
  listen: { host: string; port: number },
  endpoints: ObservabilityEndpoints,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      Promise.resolve(endpoints.metrics()).then(
        (text) =>
          res.writeHead(200, { 'content-type': endpoints.contentType ?? 'text/plain; version=0.0.4' }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (req.url === '/health') {
      const { ok, body } = endpoints.health();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (!endpoints.route?.(req, res)) {
      res.writeHead(404).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return { server, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A node's prom-client registry and health, served by serveObservability. */
export function serveMetrics(
  metrics: NodeMetrics,
  listen: { host: string; port: number },
  health: () => Record<string, unknown>,
  route?: ObservabilityEndpoints['route'],
): ReturnType<typeof serveObservability> {
  return serveObservability(listen, {
    metrics: () => metrics.registry.metrics(),
    contentType: metrics.registry.contentType,
    health: () => ({ ok: true, body: health() }),
    ...(route ? { route } : {}),
  });
}
