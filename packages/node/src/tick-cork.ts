/**
 * Frames written in one tick leave in one write (issue 16 #4): a write(2) on loopback TCP costs
 * more than the few KB it carries, and a relay or client writing packet by packet spent more CPU
 * in the kernel than in Sphinx. The socket is corked at its first write of the tick and uncorked
 * at the end of it (as link.ts does for node ↔ node links), so nothing waits past the tick.
 */
import type { Socket } from 'node:net';

const corked = new WeakSet<Socket>();

/** Corks `socket` until the end of this tick (once per tick, whatever the number of writes). */
export function corkForTick(socket: Socket | null | undefined): void {
  if (!socket || corked.has(socket) || socket.destroyed) return;
  corked.add(socket);
  socket.cork();
  process.nextTick(() => {
    corked.delete(socket);
    socket.uncork();
  });
}

/** The TCP socket under a `ws` WebSocket (its `_socket`; ws exposes no other handle to it). */
export function rawSocketOf(ws: object): Socket | undefined {
  return (ws as { _socket?: Socket | null })._socket ?? undefined;
}
