/**
 * A gateway (issue #4 item 3): the entry and exit of the mixnet. Clients connect over WebSocket
 * and prove their Ed25519 identity; packets they send go to the first hop they name (the gateway
 * is not a Sphinx hop on the way in). Final-hop packets from the mixes are unwrapped with the
 * gateway's key and pushed to the client they are for, or kept in its on-disk mailbox.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  authPayload,
  ClientFrame,
  decodeSend,
  encodeDeliver,
  hex,
  isDropCover,
  MAX_CONTROL_MESSAGE_SIZE,
  ProtocolError,
  parseControl,
  traceClientName,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { GatewayConfig } from './config.js';
import type { Logger } from './logger.js';
import { type Mailbox, openMailbox } from './mailbox.js';
import type { NodeMetrics } from './metrics.js';
import { createRelay } from './relay.js';
import type { TraceIn } from './trace.js';

export interface Gateway {
  start(): Promise<{ port: number; websocketPort: number; metricsPort: number | null }>;
  stop(): Promise<void>;
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly metrics: NodeMetrics;
  readonly logger: Logger;
}

const AUTH_TIMEOUT_MS = 10_000;

export async function createGateway(config: GatewayConfig, opts: { logger?: Logger } = {}): Promise<Gateway> {
  let mailbox: Mailbox | undefined;
  let wss: WebSocketServer | undefined;
  /** Authenticated clients by hex address. A newer connection replaces an older one. */
  const clients = new Map<string, WebSocket>();

  const deliver = (destination: Uint8Array, identifier: Uint8Array, payload: Uint8Array, trace?: TraceIn) => {
    // Loopix drop cover: clients address it to nobody; it ends at this provider.
    if (isDropCover(destination)) {
      relay.metrics.coverDropped.inc();
      if (trace) relay.tracer?.hop(trace, null);
      return;
    }
    const key = hex.encode(destination);
    const frame = encodeDeliver(identifier, payload);
    const socket = clients.get(key);
    if (socket && socket.readyState === socket.OPEN) {
      const t = relay.tracer;
      if (t && trace) t.hop(trace, { nx: traceClientName(destination), hx: t.wireId(frame) });
      socket.send(frame);
      relay.metrics.delivered.inc();
      return;
    }
    // In the mailbox: its departure is not traced (it leaves later, on the client's return).
    if (trace) relay.tracer?.hop(trace, null);
    void mailbox?.put(destination, frame).then(
      (stored) => {
        if (stored) {
          relay.metrics.mailboxed.inc();
          relay.metrics.mailboxSize.set(mailbox?.totalMessages ?? 0);
        } else relay.drop('mailbox_full');
      },
      (err: Error) => relay.logger.error({ err: err.message }, 'mailbox write failed'),
    );
  };

  const relay = await createRelay({
    config,
    ...(opts.logger ? { logger: opts.logger } : {}),
    onProcessed: (outcome, _receivedAt, trace) => {
      if (outcome.kind !== 'final') {
        relay.drop('not_final');
        if (trace) relay.tracer?.hop(trace, null);
        return;
      }
      deliver(outcome.destination, outcome.identifier, outcome.payload, trace);
    },
  });

  const onConnection = (socket: WebSocket) => {
    const nonce = randomBytes(32);
    let address: string | undefined;
    let clientName = ''; // its trace name (ANONYMITY.md §1), set with `address`
    const fail = (message: string) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', message }));
      socket.close(1008, message.slice(0, 100));
    };
    const authTimer = setTimeout(() => fail('authentication timed out'), AUTH_TIMEOUT_MS);
    socket.send(
      JSON.stringify({
        type: 'challenge',
        nonce: hex.encode(nonce),
        gateway: hex.encode(relay.keys.identityPublicKey),
      }),
    );

    socket.on('message', (data: RawData, isBinary: boolean) => {
      // ws hands us a fresh Buffer per message (binaryType nodebuffer): no copy needed to keep it.
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      try {
        if (!address) {
          if (isBinary || bytes.length > MAX_CONTROL_MESSAGE_SIZE) throw new ProtocolError('expected an auth message');
          const msg = parseControl(bytes.toString('utf8'));
          if (msg.type !== 'auth') throw new ProtocolError('expected an auth message');
          const identity = hex.decode(msg.identity);
          const ok = ed25519.verify(
            hex.decode(msg.signature),
            authPayload(relay.keys.identityPublicKey, nonce),
            identity,
          );
          if (!ok) throw new ProtocolError('bad signature');
          clearTimeout(authTimer);
          address = msg.identity;
          clientName = traceClientName(identity);
          clients.get(address)?.close(1000, 'replaced by a newer connection');
          clients.set(address, socket);
          relay.metrics.connections.set({ kind: 'clients' }, clients.size);
          socket.send(JSON.stringify({ type: 'ready', address, queued: mailbox?.count(identity) ?? 0 }));
          void mailbox
            ?.drain(identity, (frame) => {
              if (socket.readyState !== socket.OPEN) throw new Error('client went away');
              return new Promise<void>((resolve, reject) =>
                socket.send(frame, (err) => (err ? reject(err) : resolve())),
              );
            })
            .then((n) => {
              if (n > 0) relay.metrics.delivered.inc(n);
              relay.metrics.mailboxSize.set(mailbox?.totalMessages ?? 0);
            });
          return;
        }
        if (!isBinary || bytes[0] !== ClientFrame.Send) throw new ProtocolError('expected a SEND frame');
        const { firstHop, packet } = decodeSend(bytes);
        relay.metrics.clientPackets.inc();
        const t = relay.tracer;
        if (t) {
          // Wire ids are per link: the SEND frame on the client's link, the Sphinx packet on the next.
          const input = { ti: t.now(), pi: clientName, hi: t.wireId(bytes) };
          t.hop(input, { nx: t.nameOf(firstHop), hx: t.wireId(packet) });
        }
        relay.forward(firstHop, packet);
      } catch (err) {
        relay.drop('bad_client_frame');
        fail(err instanceof ProtocolError ? err.message : 'internal error');
      }
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (address && clients.get(address) === socket) clients.delete(address);
      relay.metrics.connections.set({ kind: 'clients' }, clients.size);
    });
    socket.on('error', () => socket.terminate());
  };

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
    async start() {
      mailbox = await openMailbox({ dir: join(config.dataDir, 'mailbox'), ...config.mailbox });
      relay.metrics.mailboxSize.set(mailbox.totalMessages);
      const started = await relay.start(() => ({
        status: 'ok',
        role: 'gateway',
        id: config.id,
        clients: clients.size,
        mailbox: mailbox?.totalMessages ?? 0,
        ...relay.keyStatus(),
      }));
      const server = new WebSocketServer({
        host: config.websocket.host,
        port: config.websocket.port,
        maxPayload: config.maxFrameSize + 64,
      });
      wss = server;
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
      server.on('connection', onConnection);
      const address = server.address();
      const websocketPort = typeof address === 'object' && address ? address.port : config.websocket.port;
      relay.logger.info({ websocketPort }, 'accepting clients');
      relay.joinDirectory({ websocketPort });
      return { ...started, websocketPort };
    },
    async stop() {
      for (const socket of clients.values()) socket.close(1001, 'gateway shutting down');
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      await relay.stop(() => {});
      await mailbox?.close();
    },
  };
}
