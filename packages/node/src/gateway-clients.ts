/**
 * The gateway's client side: a WebSocket server on its own HTTP server, so that connection caps
 * hold from the first byte (issue 14 #10): a total cap and a per-IP cap counted at TCP accept
 * (refused connections are closed at once and counted), a short deadline for the HTTP upgrade and
 * for the Ed25519 login, then SEND frames handed to the gateway.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  authPayload,
  ClientFrame,
  decodeSend,
  hex,
  MAX_CONTROL_MESSAGE_SIZE,
  ProtocolError,
  parseControl,
  readyProof,
  verifyIdentitySignature,
} from '@mixnet/sphinx/wire';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import type { GatewayConfig } from './config.js';
import { peerHost } from './membership.js';

export interface ClientSession {
  /** hex of the client's identity key: its mailbox address */
  readonly address: string;
  readonly identity: Uint8Array;
  readonly socket: WebSocket;
  /** a drain of its mailbox is running */
  draining: boolean;
}

export type ClientRefusal = 'server_full' | 'ip_full';

export interface ClientServerOptions {
  websocket: GatewayConfig['websocket'];
  /** largest binary message (a SEND frame) */
  maxPayload: number;
  gatewayIdentity: Uint8Array;
  /** signs the ready message over the client's nonce: the client knows the pinned gateway answered */
  gatewayIdentitySecret: Uint8Array;
  /** after a valid login; returns the number of messages waiting, for the ready message */
  onAuthenticated: (session: ClientSession) => number;
  /** after `ready` was sent: hand over the mailbox */
  onReady: (session: ClientSession) => void;
  /** an authenticated client's connection closed */
  onClosed: (session: ClientSession) => void;
  onSend: (session: ClientSession, firstHop: Uint8Array, packet: Uint8Array, frame: Uint8Array) => void;
  /** a frame that broke the protocol; the connection is closed */
  onBadFrame: () => void;
  onRefused: (reason: ClientRefusal) => void;
  onSessionsChange: (sessions: number) => void;
  /** a server error after listen (e.g. EMFILE on accept); it must not crash the gateway */
  onError: (err: Error) => void;
}

export interface ClientServer {
  listen(): Promise<number>;
  /** authenticated clients by address; a newer connection replaces an older one */
  readonly sessions: ReadonlyMap<string, ClientSession>;
  /** open TCP connections, authenticated or not */
  readonly connections: number;
  close(): Promise<void>;
}

export function createClientServer(opts: ClientServerOptions): ClientServer {
  const { websocket: cfg } = opts;
  const sessions = new Map<string, ClientSession>();
  const perIp = new Map<string, number>();
  let open = 0;

  // Slow or silent HTTP clients are cut at the login deadline; Node checks every second.
  const http: Server = createServer({ connectionsCheckingInterval: 1_000 }, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  http.headersTimeout = cfg.authTimeoutMs;
  http.requestTimeout = cfg.authTimeoutMs;
  http.on('connection', (socket: Socket) => {
    const ip = peerHost(socket.remoteAddress ?? '');
    const fromIp = perIp.get(ip) ?? 0;
    const refusal: ClientRefusal | undefined =
      open >= cfg.maxConnections ? 'server_full' : fromIp >= cfg.maxConnectionsPerIp ? 'ip_full' : undefined;
    if (refusal) {
      opts.onRefused(refusal);
      socket.destroy();
      return;
    }
    open++;
    perIp.set(ip, fromIp + 1);
    socket.once('close', () => {
      open--;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left === 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });
  const wss = new WebSocketServer({ server: http, maxPayload: opts.maxPayload });
  wss.on('connection', (socket: WebSocket) => onConnection(socket));
  // ws re-emits the HTTP server's errors here: without a listener an EMFILE on accept would crash us.
  wss.on('error', (err) => opts.onError(err));

  function onConnection(socket: WebSocket): void {
    const nonce = randomBytes(32);
    let session: ClientSession | undefined;
    const fail = (message: string) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', message }));
      socket.close(1008, message.slice(0, 100));
    };
    const authTimer = setTimeout(() => fail('authentication timed out'), cfg.authTimeoutMs);
    socket.send(
      JSON.stringify({ type: 'challenge', nonce: hex.encode(nonce), gateway: hex.encode(opts.gatewayIdentity) }),
    );

    socket.on('message', (data: RawData, isBinary: boolean) => {
      // ws hands us a fresh Buffer per message (binaryType nodebuffer): no copy needed to keep it.
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      try {
        if (session === undefined) {
          if (isBinary || bytes.length > MAX_CONTROL_MESSAGE_SIZE) throw new ProtocolError('expected an auth message');
          const msg = parseControl(bytes.toString('utf8'));
          if (msg.type !== 'auth') throw new ProtocolError('expected an auth message');
          const identity = hex.decode(msg.identity);
          const ok = verifyIdentitySignature(
            hex.decode(msg.signature),
            authPayload(opts.gatewayIdentity, nonce),
            identity,
          );
          if (!ok) throw new ProtocolError('bad signature');
          clearTimeout(authTimer);
          const s: ClientSession = { address: msg.identity, identity, socket, draining: false };
          session = s;
          sessions.get(s.address)?.socket.close(1000, 'replaced by a newer connection');
          sessions.set(s.address, s);
          opts.onSessionsChange(sessions.size);
          const queued = opts.onAuthenticated(s);
          const proof = readyProof(opts.gatewayIdentitySecret, msg, nonce);
          socket.send(JSON.stringify({ type: 'ready', address: s.address, queued, ...proof }));
          opts.onReady(s);
          return;
        }
        if (!isBinary || bytes[0] !== ClientFrame.Send) throw new ProtocolError('expected a SEND frame');
        const { firstHop, packet } = decodeSend(bytes);
        opts.onSend(session, firstHop, packet, bytes);
      } catch (err) {
        opts.onBadFrame();
        fail(err instanceof ProtocolError ? err.message : 'internal error');
      }
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (session && sessions.get(session.address) === session) sessions.delete(session.address);
      if (session) opts.onClosed(session);
      opts.onSessionsChange(sessions.size);
    });
    socket.on('error', () => socket.terminate());
  }

  return {
    sessions,
    get connections() {
      return open;
    },
    listen() {
      return new Promise<number>((resolve, reject) => {
        http.once('error', reject);
        http.listen(cfg.port, cfg.host, () => {
          http.off('error', reject);
          const address = http.address();
          resolve(typeof address === 'object' && address ? address.port : cfg.port);
        });
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections(); // those still in HTTP, before the upgrade
      for (const ws of wss.clients) ws.close(1001, 'gateway shutting down');
      // Clients get a moment to answer the close; then whoever is left is cut off.
      const cut = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 1_000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closed;
      clearTimeout(cut);
    },
  };
}
