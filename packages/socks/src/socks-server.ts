/**
 * The local SOCKS server (`mixnet socks`): each accepted connection speaks SOCKS5 (with domain
 * names), SOCKS4 or SOCKS4a (socks-codec.ts); its CONNECT becomes a stream through the mixnet to
 * the network requester (stream-client.ts), answered with the requester's SOCKS reply code, or
 * 0x06 (TTL expired) when the mixnet gives no answer in `openTimeoutMs`: never a silent hang.
 * Then bytes are piped both ways, half-closes included.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type HandshakeResult, readHandshake } from './socks-handshake.js';
import { type Socks5ReplyCode, socks4Reply, socks5Reply } from './socks-reply.js';
import type { StreamClient } from './stream-client.js';

export interface SocksServerOptions {
  streams: StreamClient;
  host?: string;
  port?: number;
  /** How long the mixnet has to answer an OPEN. Default 60 s. */
  openTimeoutMs?: number;
  /** How long a client has to finish its handshake. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Connections at once; more are closed at once. Default 256. */
  maxConnections?: number;
  onEvent?: (e: SocksServerEvent) => void;
}

export type SocksServerEvent =
  | { type: 'connect'; version: 4 | 5; host: string; port: number }
  | { type: 'refused'; version: 4 | 5; host: string; port: number; code: number; ms: number }
  | { type: 'opened'; version: 4 | 5; host: string; port: number; ms: number }
  | { type: 'bad-handshake'; message: string };

export interface SocksServer {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startSocksServer(opts: SocksServerOptions): Promise<SocksServer> {
  const openTimeoutMs = opts.openTimeoutMs ?? 60_000;
  const maxConnections = opts.maxConnections ?? 256;
  const emit = (e: SocksServerEvent) => opts.onEvent?.(e);
  const sockets = new Set<Socket>();

  const serve = async (socket: Socket) => {
    let hs: HandshakeResult;
    try {
      hs = await readHandshake(socket, opts.handshakeTimeoutMs ?? 10_000);
    } catch (err) {
      emit({ type: 'bad-handshake', message: (err as Error).message });
      socket.destroy();
      return;
    }
    if (!hs.ok) {
      emit({ type: 'bad-handshake', message: hs.message });
      if (hs.reply) socket.end(hs.reply);
      else socket.destroy();
      return;
    }
    const { version, host, port } = hs.request;
    emit({ type: 'connect', version, host, port });
    const started = performance.now();
    const reply = (code: number) => (version === 5 ? socks5Reply(code as Socks5ReplyCode) : socks4Reply(code === 0));
    const r = await opts.streams.open(host, port, openTimeoutMs);
    const ms = performance.now() - started;
    if (socket.destroyed) {
      if (r.ok) r.stream.destroy();
      return;
    }
    if (!r.ok) {
      emit({ type: 'refused', version, host, port, code: r.code, ms });
      socket.end(reply(r.code));
      return;
    }
    emit({ type: 'opened', version, host, port, ms });
    const stream = r.stream;
    socket.write(reply(0));
    if (hs.rest.length > 0) stream.write(hs.rest);
    socket.pipe(stream);
    stream.pipe(socket);
    socket.on('error', () => stream.destroy());
    stream.on('error', () => socket.destroy());
    socket.on('close', () => stream.destroy());
    stream.on('close', () => {
      // Both directions ended cleanly: end what is left of ours once written.
      if (!socket.writableEnded) socket.end();
    });
  };

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    if (sockets.size >= maxConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    serve(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 1080, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('SOCKS server has no TCP address');
  return {
    host: addr.address,
    port: addr.port,
    get connections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
