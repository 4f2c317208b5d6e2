/**
 * A gateway (issue #4 item 3): the entry and exit of the mixnet. Clients connect over WebSocket
 * and prove their Ed25519 identity (gateway-clients.ts); packets they send go to the first hop they
 * name, if it is a member of the network (the gateway is not a Sphinx hop on the way in).
 * Final-hop packets from the mixes are unwrapped with the gateway's key and pushed to the client
 * they are for, or kept in its on-disk mailbox if it authenticated here (gateway-delivery.ts).
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeDeliver, hex, isDropCover, traceClientName } from '@mixnet/sphinx/wire';
import type { GatewayConfig } from './config.js';
import { type ClientServer, createClientServer } from './gateway-clients.js';
import { createDelivery, type Delivery } from './gateway-delivery.js';
import { type Logger, throttledWarn } from './logger.js';
import { type Mailbox, openMailbox } from './mailbox.js';
import type { NodeMetrics } from './metrics.js';
import { openRegistry, type Registry } from './registry.js';
import { createRelay, type NodeOptions, type Relay } from './relay.js';

export interface Gateway {
  start(): Promise<{ port: number; websocketPort: number; metricsPort: number | null }>;
  stop(): Promise<void>;
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
  /** The network's members (see Relay.membership); the directory feeds it. */
  readonly membership: Relay['membership'];
}

export async function createGateway(config: GatewayConfig, opts: NodeOptions = {}): Promise<Gateway> {
  let mailbox: Mailbox | undefined;
  let registry: Registry | undefined;
  let delivery: Delivery | undefined;
  let clients: ClientServer | undefined;
  /** Trace names of clients (ANONYMITY.md §1), set once at login. */
  const clientNames = new WeakMap<object, string>();

  const relay = await createRelay({
    config,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.packetPool ? { packetPool: opts.packetPool } : {}),
    ...(opts.fetchTopology ? { fetchTopology: opts.fetchTopology } : {}),
    onProcessed: (outcome, _receivedAt, trace) => {
      if (outcome.kind !== 'final') {
        relay.drop('not_final', 1, trace);
        return;
      }
      const { destination } = outcome;
      // Loopix drop cover: clients address it to nobody; it ends at this provider.
      if (isDropCover(destination)) {
        relay.metrics.coverDropped.inc();
        relay.end(trace);
        return;
      }
      const frame = encodeDeliver(outcome.identifier, outcome.payload);
      const sent = delivery?.deliver(destination, hex.encode(destination), frame) ?? false;
      const t = relay.tracer;
      // Traced only when it went straight to the socket; a departure from the mailbox is not traced.
      if (t && trace && sent) t.hop(trace, { nx: traceClientName(destination), hx: t.wireId(frame) });
      else relay.end(trace);
    },
  });

  return {
    get address() {
      return relay.address;
    },
    get publicKey() {
      return relay.keyRing.current.publicKey;
    },
    identityKey: relay.keys.identityPublicKey,
    metrics: relay.metrics,
    logger: relay.logger,
    membership: relay.membership,
    async start() {
      const { metrics, logger } = relay;
      const box = await openMailbox({
        dir: join(config.dataDir, 'mailbox'),
        ...config.mailbox,
        onExpired: (n) => relay.drop('mailbox_expired', n),
      });
      mailbox = box;
      const reg = await openGatewayRegistry(config, logger);
      registry = reg;
      metrics.sources.mailboxMessages = () => box.totalMessages;
      metrics.sources.mailboxes = () => box.mailboxes;
      metrics.sources.registered = () => reg.size;
      const server = createClientServer({
        websocket: config.websocket,
        maxPayload: config.maxFrameSize + 64,
        gatewayIdentity: relay.keys.identityPublicKey,
        gatewayIdentitySecret: relay.keys.identityPrivateKey,
        onAuthenticated: (session) => {
          clientNames.set(session, traceClientName(session.identity));
          // Live delivery works either way; only a registered address gets a mailbox while away.
          if (!reg.touch(session.address)) {
            metrics.refusedConnections.inc({ kind: 'registration', reason: 'registry_full' });
            logger.warn('registry full: a client logged in without a mailbox');
          }
          return box.count(session.identity);
        },
        onReady: (session) => delivery?.drainTo(session),
        // Last seen when it leaves, too: the registration's TTL runs from there.
        onClosed: (session) => reg.touch(session.address),
        onSend: (session, firstHop, packet, frame) => {
          metrics.clientPackets.inc();
          // Wire ids are per link: the SEND frame on the client's link, the Sphinx packet on the next.
          const t = relay.tracer;
          relay.forward(
            firstHop,
            packet,
            undefined,
            t && { ti: t.now(), pi: clientNames.get(session) ?? '', hi: t.wireId(frame) },
          );
        },
        onBadFrame: () => relay.drop('bad_client_frame'),
        onRefused: (reason) => metrics.refusedConnections.inc({ kind: 'clients', reason }),
        onSessionsChange: (n) => {
          metrics.connections.set({ kind: 'clients' }, n);
        },
        onError: throttledWarn(logger, 'client server error'),
      });
      clients = server;
      delivery = createDelivery({
        mailbox: box,
        registry: reg,
        sessions: server.sessions,
        metrics,
        logger,
        drop: (reason) => relay.drop(reason),
        maxBufferedBytes: config.websocket.maxBufferedBytes,
        maxPendingBytes: config.mailbox.maxPendingBytes,
        maxAgeMs: config.mailbox.maxAgeMs,
      });
      const started = await relay.start(() => ({
        status: 'ok',
        role: 'gateway',
        id: config.id,
        clients: server.sessions.size,
        mailbox: box.totalMessages,
        ...relay.keyStatus(),
      }));
      const websocketPort = await server.listen();
      relay.logger.info({ websocketPort }, 'accepting clients');
      relay.joinDirectory({ websocketPort });
      return { ...started, websocketPort };
    },
    async stop() {
      await clients?.close();
      await relay.stop(() => {});
      await delivery?.close();
      await mailbox?.close();
      await registry?.close();
    },
  };
}

/** The registry in dataDir; an unreadable file is moved aside (clients register again at login). */
async function openGatewayRegistry(config: GatewayConfig, logger: Logger): Promise<Registry> {
  const file = join(config.dataDir, 'registered.bin');
  const options = {
    file,
    ...config.registration,
    onSaveError: (err: Error) => logger.error({ err: err.message }, 'saving the registry failed'),
  };
  try {
    return await openRegistry(options);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'registry unreadable: moved aside, starting empty');
    await rename(file, `${file}.unreadable-${Date.now()}`);
    return openRegistry(options);
  }
}
