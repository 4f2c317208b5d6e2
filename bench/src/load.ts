/**
 * The node suite's load generator and sink (issue #4: "the load generator … costs little"): frames
 * are encoded into large contiguous chunks before the clock starts and written with backpressure;
 * the sink only walks length prefixes to count Packet frames. Neither copies a packet on the timed
 * path, so the CPU the machine spends is the mix's.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, FRAME_HEADER_SIZE, FrameKind } from '@mixnet/sphinx/wire';

/** Packets framed (wire/frame.ts) and packed into chunks of about `chunkBytes`. */
export function packFrames(packets: readonly Uint8Array[], chunkBytes = 256 * 1024): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const close = () => {
    if (parts.length === 0) return;
    const chunk = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      chunk.set(p, off);
      off += p.length;
    }
    chunks.push(chunk);
    parts = [];
    size = 0;
  };
  for (const packet of packets) {
    const frame = encodeFrame(FrameKind.Packet, packet);
    parts.push(frame);
    size += frame.length;
    if (size >= chunkBytes) close();
  }
  close();
  return chunks;
}

/** Writes the chunks to host:port, waiting for 'drain' whenever the socket asks; resolves once all are out. */
export function blast(host: string, port: number, chunks: readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setNoDelay(true);
    socket.on('error', reject);
    let next = 0;
    const write = () => {
      while (next < chunks.length) {
        if (!socket.write(chunks[next++] as Uint8Array)) {
          socket.once('drain', write);
          return;
        }
      }
      socket.end(() => resolve());
    };
    socket.once('connect', write);
  });
}

export interface FrameCounter {
  port: number;
  /** Resolves once `count` Packet frames have arrived (on any connection). */
  received(count: number): Promise<void>;
  readonly count: number;
  close(): Promise<void>;
}

/** A TCP sink that counts whole Packet frames and keeps nothing. */
export async function countFrames(host = '127.0.0.1'): Promise<FrameCounter> {
  let count = 0;
  let want = Number.POSITIVE_INFINITY;
  let reached: () => void = () => {};
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Bytes still to skip in the current frame body, and a header split across chunks.
    let skip = 0;
    const header = new Uint8Array(FRAME_HEADER_SIZE + 1);
    let headerHave = 0;
    const frameSeen = (length: number, kind: number) => {
      skip = length - 1;
      if (kind === FrameKind.Packet && ++count >= want) reached();
    };
    socket.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - off);
          skip -= n;
          off += n;
        } else if (headerHave === 0 && chunk.length - off >= header.length) {
          frameSeen(chunk.readUInt32BE(off), chunk[off + FRAME_HEADER_SIZE] as number);
          off += header.length;
        } else {
          const n = Math.min(header.length - headerHave, chunk.length - off);
          header.set(chunk.subarray(off, off + n), headerHave);
          headerHave += n;
          off += n;
          if (headerHave < header.length) break;
          headerHave = 0;
          frameSeen(new DataView(header.buffer).getUint32(0), header[FRAME_HEADER_SIZE] as number);
        }
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as { port: number };
  return {
    port,
    get count() {
      return count;
    },
    received(n) {
      want = n;
      return count >= n
        ? Promise.resolve()
        : new Promise<void>((r) => {
            reached = r;
          });
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}
