/**
 * Reads one SOCKS handshake off a socket with the incremental parser (socks-codec.ts): writes the
 * SOCKS5 method selection when it is due, and stops reading (the socket is paused) once the
 * request is complete, so bytes the client sent after it wait for the pipe.
 */
import type { Socket } from 'node:net';
import { createSocksParser, type SocksRequest } from './socks-codec.js';

export type HandshakeResult =
  | { ok: true; request: SocksRequest; rest: Uint8Array }
  /** Malformed, unsupported, or too slow: `reply` (maybe empty) is what to send before closing. */
  | { ok: false; message: string; reply?: Uint8Array };

export function readHandshake(socket: Socket, timeoutMs: number): Promise<HandshakeResult> {
  const parser = createSocksParser();
  return new Promise((resolve) => {
    const done = (r: HandshakeResult) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ ok: false, message: `no complete handshake within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const onEnd = () => done({ ok: false, message: 'client closed during the handshake' });
    const onData = (chunk: Buffer) => {
      const r = parser.push(chunk);
      if (r.kind !== 'error' && r.reply && r.reply.length > 0) socket.write(r.reply);
      if (r.kind === 'request') done({ ok: true, request: r.request, rest: r.rest });
      else if (r.kind === 'error')
        done({
          ok: false,
          message: r.error.message,
          ...(r.error.reply.length > 0 ? { reply: r.error.reply } : {}),
        });
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}
