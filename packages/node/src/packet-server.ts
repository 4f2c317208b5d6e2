/**
 * The inbound side of node ↔ node TCP (ARCHITECTURE.md, "Wire between processes"): accepts
 * connections from previous hops, decodes length-prefixed frames with one bounded decoder per
 * connection and hands every Sphinx packet to `onPacket`. A connection that sends garbage is closed
 * on its own and reported; every other connection is untouched, and nothing a peer sends can throw
 * out of this module.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createFrameDecoder, FrameError, FrameKind, MAX_HELLO_SIZE } from '@mixnet/sphinx/wire';

/** Reported when a peer closed (or went idle) in the middle of a frame. */
export const FRAME_TRUNCATED = 'FRAME_TRUNCATED';
export type BadFrameCode = FrameError['code'] | typeof FRAME_TRUNCATED;

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 128;
export const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 5_000;

/** Why a connection was refused at accept, or closed before it sent a whole frame. */
export type RefusedReason = 'not_member' | 'server_full' | 'ip_full' | 'first_frame_timeout';

export interface PacketServerOptions {
  host: string;
  port: number;
  /** Largest accepted frame (kind + body); default that of the frame decoder (40 KiB). */
  maxFrameSize?: number;
  /**
   * Each Sphinx packet. `packet` is a view into the socket read it arrived in (Node does not pool
   * reads): keeping it keeps that chunk (up to 64 KiB), and its buffer must not be transferred.
   * `peer`: the node id the link announced in its Hello frame, if any.
   */
  onPacket: (packet: Uint8Array, from: string, peer: string | undefined) => void;
  /** a connection sent garbage (FrameError code, or FRAME_TRUNCATED) and was closed; good connections are untouched */
  onBadFrame?: (code: string, from: string) => void;
  onConnectionsChange?: (open: number) => void;
  /** close connections idle longer than this (default 5 min) */
  idleTimeoutMs?: number;
  /** default 1024; connections beyond it are closed as soon as they are accepted (reported) */
  maxConnections?: number;
  /** default 128; connections from one IP beyond it are closed at once (reported) */
  maxConnectionsPerIp?: number;
  /**
   * Only peers for which this is true are served (the network's members); others are closed at
   * accept, before they hold a slot. Default: everyone.
   */
  allowPeer?: (ip: string) => boolean;
  /** A connection that has not completed a frame within this is closed (default 5 s). */
  firstFrameTimeoutMs?: number;
  onRefused?: (reason: RefusedReason, from: string) => void;
  /** a server error after listen() (e.g. EMFILE on accept); without it such errors are ignored */
  onError?: (err: Error) => void;
}

export interface PacketServer {
  listen(): Promise<{ host: string; port: number }>;
  /**
   * stop accepting; with destroy=true also close open connections (and resolve once they are
   * closed); without it open connections keep delivering until their peer or the idle timeout ends them
   */
  close(opts?: { destroy?: boolean }): Promise<void>;
  readonly connections: number;
  /**
   * Stops reading from every connection (and new ones) until resume(): a node that cannot keep up
   * pushes back on its senders through TCP instead of dropping what they sent.
   */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
}

export function createPacketServer(opts: PacketServerOptions): PacketServer {
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxPerIp = opts.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP;
  const firstFrameTimeoutMs = opts.firstFrameTimeoutMs ?? DEFAULT_FIRST_FRAME_TIMEOUT_MS;
  const sockets = new Set<Socket>();
  const perIp = new Map<string, number>();
  let closing = false;
  let destroying = false;
  let paused = false;

  // Caps are enforced here, not with server.maxConnections, so that every refusal is reported.
  const server: Server = createServer({ noDelay: true });
  server.on('connection', (socket) => accept(socket));

  /** Refuses at accept: non-members first, then the total and per-IP caps. */
  function admit(socket: Socket, ip: string): boolean {
    let reason: RefusedReason | undefined;
    if (opts.allowPeer && !opts.allowPeer(ip)) reason = 'not_member';
    else if (sockets.size >= maxConnections) reason = 'server_full';
    else if ((perIp.get(ip) ?? 0) >= maxPerIp) reason = 'ip_full';
    if (reason === undefined) return true;
    opts.onRefused?.(reason, formatPeer(socket));
    socket.on('error', () => {});
    socket.destroy();
    return false;
  }

  function accept(socket: Socket): void {
    if (closing) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? '';
    if (!admit(socket, ip)) return;
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    const from = formatPeer(socket);
    let peer: string | undefined;
    // A peer must complete a frame soon (a Hello, from our links) or give its slot back.
    let firstFrameTimer: NodeJS.Timeout | undefined = setTimeout(() => {
      opts.onRefused?.('first_frame_timeout', from);
      socket.destroy();
    }, firstFrameTimeoutMs);
    // Views, not copies: a relay copies each packet into a worker batch or processes it at once.
    const decoder = createFrameDecoder({
      views: true,
      ...(opts.maxFrameSize === undefined ? {} : { maxFrameSize: opts.maxFrameSize }),
    });
    let reported = false;
    const reportBad = (code: string) => {
      if (reported) return;
      reported = true;
      opts.onBadFrame?.(code, from);
    };

    sockets.add(socket);
    if (paused) socket.pause();
    opts.onConnectionsChange?.(sockets.size);
    socket.setNoDelay(true);
    if (idleTimeoutMs > 0) socket.setTimeout(idleTimeoutMs);

    socket.on('data', (chunk: Buffer) => {
      let frames: ReturnType<typeof decoder.push>;
      try {
        frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (err) {
        // Only decoder errors are the peer's fault; anything else is a bug and should surface.
        if (!(err instanceof FrameError)) throw err;
        reportBad(err.code);
        socket.destroy();
        return;
      }
      if (firstFrameTimer !== undefined && frames.length > 0) {
        clearTimeout(firstFrameTimer);
        firstFrameTimer = undefined;
      }
      for (const frame of frames) {
        if (frame.kind === FrameKind.Packet) opts.onPacket(frame.body, from, peer);
        else if (frame.kind === FrameKind.Hello) {
          if (frame.body.length > MAX_HELLO_SIZE) {
            reportBad('FRAME_BAD_HELLO');
            socket.destroy();
            return;
          }
          peer = new TextDecoder().decode(frame.body);
        }
      }
    });
    socket.on('timeout', () => socket.destroy());
    // ECONNRESET and friends: 'close' follows, and a peer's reset is not our error.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(firstFrameTimer);
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left === 0) perIp.delete(ip);
      else perIp.set(ip, left);
      // A partial frame at the end is garbage too, unless we were the ones cutting it off.
      if (!destroying && decoder.buffered > 0) reportBad(FRAME_TRUNCATED);
      sockets.delete(socket);
      opts.onConnectionsChange?.(sockets.size);
    });
  }

  return {
    listen() {
      return new Promise((resolve, reject) => {
        const onListenError = (err: Error) => reject(err);
        server.once('error', onListenError);
        server.listen({ host: opts.host, port: opts.port }, () => {
          server.off('error', onListenError);
          // A listening server must not crash the process on an accept error.
          server.on('error', (err) => opts.onError?.(err));
          const addr = server.address();
          if (addr === null || typeof addr === 'string') {
            reject(new Error('packet server: not a TCP address'));
            return;
          }
          resolve({ host: addr.address, port: addr.port });
        });
      });
    },

    close(closeOpts = {}) {
      closing = true;
      if (closeOpts.destroy) destroying = true;
      return new Promise<void>((resolve) => {
        if (!server.listening) {
          if (closeOpts.destroy) destroyAll(resolve);
          else resolve();
          return;
        }
        if (closeOpts.destroy) {
          // server.close's callback runs once every connection is gone.
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        } else {
          server.close();
          resolve();
        }
      });
    },

    pause() {
      paused = true;
      for (const s of sockets) s.pause();
    },
    resume() {
      paused = false;
      for (const s of sockets) s.resume();
    },
    get paused() {
      return paused;
    },
    get connections() {
      return sockets.size;
    },
  };

  function destroyAll(done: () => void): void {
    let left = sockets.size;
    if (left === 0) {
      done();
      return;
    }
    for (const s of sockets) {
      s.once('close', () => {
        left -= 1;
        if (left === 0) done();
      });
      s.destroy();
    }
  }
}

function formatPeer(socket: Socket): string {
  const host = socket.remoteAddress ?? 'unknown';
  return host.includes(':') ? `[${host}]:${socket.remotePort}` : `${host}:${socket.remotePort}`;
}
