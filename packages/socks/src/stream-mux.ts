/**
 * Many byte streams over one message channel (stream-frame.ts), the same at both ends. Each stream
 * is a Node Duplex, so sockets pipe into it. Per direction:
 * - ordered delivery: DATA and CLOSE carry a seq; a reorder buffer holds what came early, bounded
 *   by the credit window (a peer that overruns it gets its stream reset);
 * - flow control: a sender may have at most `window` bytes the receiver has not consumed; the
 *   receiver reports what it consumed (WINDOW, cumulative, so a lost one is repaired by the next);
 *   a writer past its credit waits (its `write` callback is held), so a fast upstream pauses;
 * - half-close: `end()` sends an ordered CLOSE END; the stream goes once both directions ended;
 *   any other CLOSE resets at once;
 * - an idle timeout resets a stream nothing moved on.
 * The channel is the caller's: `take(maxBytes)` hands out frames waiting to be sent,
 * `receive(frames)` takes what arrived. What waits to be sent is bounded by the windows.
 */
import { Duplex } from 'node:stream';
import { CloseReason, type CloseReasonCode, type Frame, frameSize, MAX_DATA, MAX_FRAMES } from './stream-frame.js';

export interface StreamMuxOptions {
  /** Unconsumed bytes a peer may send on one stream (each direction). Default 256 KiB. */
  window?: number;
  /** A stream nothing moved on for this long is reset. Default 10 min (idle TCP connections are normal). */
  idleMs?: number;
  /** Frames are waiting in `take`. */
  onOutbound(): void;
  /** The peer opened a stream (network requester side): `accept()` or `refuse(code)` it. */
  onOpen?(stream: MuxStream, host: string, port: number): void;
  /** Streams the peer may have open at once (requester side); more are refused with 0x01. Default 256. */
  maxStreams?: number;
}

export type OpenResult = { ok: true; stream: MuxStream } | { ok: false; code: number };

export interface MuxStats {
  streams: number;
  opened: number;
  duplicates: number;
  /** Frames for streams we do not know (late, or after a reset). */
  unknown: number;
  /** Streams reset because the peer overran the window or broke the order. */
  protocolErrors: number;
  idleResets: number;
}

export interface StreamMux {
  /** Opens a stream (client side); resolves with the peer's result, or code 0x06 after `timeoutMs`. */
  open(host: string, port: number, timeoutMs: number): Promise<OpenResult>;
  receive(frames: readonly Frame[]): void;
  /** Frames to send now, up to `maxBytes` of frames and MAX_FRAMES (at least one if any wait). */
  take(maxBytes: number): Frame[];
  /** Bytes of frames waiting. */
  readonly pendingBytes: number;
  readonly size: number;
  sweep(now?: number): void;
  /** Resets every stream. */
  close(): void;
  stats(): MuxStats;
}

/** SOCKS5 reply code given when the peer's answer to an OPEN does not come in time. */
export const OPEN_TIMEOUT_CODE = 0x06;
export const DEFAULT_WINDOW = 256 * 1024;

export class MuxStream extends Duplex {
  /** 'opening' until OPEN_RESULT (client) or accept() (requester). */
  state: 'opening' | 'open' | 'closed' = 'opening';
  lastActive = performance.now();
  // Sending side.
  sendSeq = 0;
  sentBytes = 0;
  peerConsumed = 0;
  blocked: { rest: Uint8Array; cb: (err?: Error | null) => void } | undefined;
  // Receiving side.
  recvSeq = 0;
  reorder = new Map<number, Frame>();
  reorderBytes = 0;
  delivered = 0;
  advertised = 0;
  remoteEnded = false;
  finSent = false;
  /** Set by the mux: queue a frame, update the window after reads. */
  hooks!: { queue(f: Frame): void; accept(): void; refuse(code: number): void; consumedChanged(): void };

  constructor(
    readonly streamId: number,
    readonly window: number,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Requester side: the upstream is connected. */
  accept(): void {
    this.hooks.accept();
  }
  /** Requester side: refused with a SOCKS5 reply code; the stream is gone. */
  refuse(code: number): void {
    this.hooks.refuse(code);
  }
  get credit(): number {
    return this.peerConsumed + this.window - this.sentBytes;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.lastActive = performance.now();
    this.pushOut(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb);
  }
  /** Sends what the credit allows; holds the rest (and the callback) until a WINDOW. */
  pushOut(bytes: Uint8Array, cb: (err?: Error | null) => void): void {
    let off = 0;
    while (off < bytes.length && this.credit > 0 && this.state !== 'closed') {
      const n = Math.min(MAX_DATA, bytes.length - off, this.credit);
      this.hooks.queue({
        type: 'data',
        streamId: this.streamId,
        seq: this.sendSeq++,
        bytes: bytes.slice(off, off + n),
      });
      this.sentBytes += n;
      off += n;
    }
    if (off < bytes.length && this.state !== 'closed') this.blocked = { rest: bytes.subarray(off), cb };
    else cb(this.state === 'closed' ? new Error('stream closed') : null);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.finSent = true;
    this.hooks.queue({ type: 'close', streamId: this.streamId, seq: this.sendSeq++, reason: CloseReason.End });
    cb();
  }
  override _read(): void {
    this.hooks?.consumedChanged();
  }
  get consumed(): number {
    return this.delivered - this.readableLength;
  }
}

export function createStreamMux(opts: StreamMuxOptions): StreamMux {
  const window = opts.window ?? DEFAULT_WINDOW;
  const idleMs = opts.idleMs ?? 600_000;
  const maxStreams = opts.maxStreams ?? 256;
  const streams = new Map<number, MuxStream>();
  const pendingOpens = new Map<number, { resolve(r: OpenResult): void; timer: NodeJS.Timeout }>();
  const outbox: Frame[] = [];
  /** The WINDOW frame of a stream still in the outbox: updated in place, not queued twice. */
  const windowFrames = new Map<number, Extract<Frame, { type: 'window' }>>();
  let pendingBytes = 0;
  let nextId = 1;
  let notify = false;
  const stats: MuxStats = { streams: 0, opened: 0, duplicates: 0, unknown: 0, protocolErrors: 0, idleResets: 0 };

  const queue = (f: Frame) => {
    outbox.push(f);
    pendingBytes += frameSize(f);
    if (!notify) {
      notify = true;
      queueMicrotask(() => {
        notify = false;
        opts.onOutbound();
      });
    }
  };

  const forget = (s: MuxStream) => {
    if (streams.get(s.streamId) === s) streams.delete(s.streamId);
    s.state = 'closed';
    const p = pendingOpens.get(s.streamId);
    if (p) {
      pendingOpens.delete(s.streamId);
      clearTimeout(p.timer);
      p.resolve({ ok: false, code: 0x01 });
    }
  };

  /** Resets a stream here and tells the peer (unless the peer reset it). */
  const reset = (s: MuxStream, reason: CloseReasonCode, tellPeer: boolean, message: string) => {
    if (s.state === 'closed') return;
    if (tellPeer) queue({ type: 'close', streamId: s.streamId, seq: s.sendSeq, reason });
    forget(s);
    const blocked = s.blocked;
    s.blocked = undefined;
    blocked?.cb(new Error(message));
    s.destroy(new Error(message));
  };

  const makeStream = (id: number): MuxStream => {
    const s = new MuxStream(id, window);
    s.hooks = {
      queue: (f) => {
        s.lastActive = performance.now();
        queue(f);
      },
      accept: () => {
        if (s.state !== 'opening') return;
        s.state = 'open';
        queue({ type: 'open-result', streamId: id, code: 0 });
      },
      refuse: (code) => {
        if (s.state !== 'opening') return;
        queue({ type: 'open-result', streamId: id, code: code || 0x01 });
        forget(s);
        s.destroy();
      },
      consumedChanged: () => {
        // Report consumption once a quarter window has been taken (or the stream ended).
        if (s.state === 'closed') return;
        const consumed = s.consumed;
        if (consumed - s.advertised < window / 4 && !(s.remoteEnded && consumed > s.advertised)) return;
        s.advertised = consumed;
        const pending = windowFrames.get(id);
        if (pending) pending.consumed = consumed;
        else {
          const f = { type: 'window' as const, streamId: id, consumed };
          windowFrames.set(id, f);
          queue(f);
        }
      },
    };
    // Both directions ended (or destroyed): the stream is gone; a local destroy resets the peer.
    s.on('close', () => {
      if (s.state !== 'closed' && !(s.finSent && s.remoteEnded)) reset(s, CloseReason.Reset, true, 'stream destroyed');
      forget(s);
    });
    s.on('error', () => {});
    streams.set(id, s);
    return s;
  };

  const deliver = (s: MuxStream) => {
    for (;;) {
      const f = s.reorder.get(s.recvSeq);
      if (!f) break;
      s.reorder.delete(s.recvSeq);
      s.recvSeq++;
      if (f.type === 'data') {
        s.reorderBytes -= f.bytes.length;
        s.delivered += f.bytes.length;
        s.push(Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
      } else if (f.type === 'close') {
        s.remoteEnded = true;
        s.push(null);
        break;
      }
    }
    s.hooks.consumedChanged();
  };

  const onFrame = (f: Frame) => {
    if (f.type === 'open') {
      if (streams.has(f.streamId) || !opts.onOpen) {
        if (streams.has(f.streamId)) stats.duplicates++;
        else stats.unknown++;
        return;
      }
      if (streams.size >= maxStreams) {
        queue({ type: 'open-result', streamId: f.streamId, code: 0x01 });
        return;
      }
      const s = makeStream(f.streamId);
      stats.opened++;
      opts.onOpen(s, f.host, f.port);
      return;
    }
    const s = streams.get(f.streamId);
    if (f.type === 'open-result') {
      const p = pendingOpens.get(f.streamId);
      if (!p || !s) {
        stats.unknown++;
        return;
      }
      pendingOpens.delete(f.streamId);
      clearTimeout(p.timer);
      if (f.code === 0) {
        s.state = 'open';
        p.resolve({ ok: true, stream: s });
      } else {
        forget(s);
        s.destroy();
        p.resolve({ ok: false, code: f.code });
      }
      return;
    }
    if (!s) {
      stats.unknown++;
      return;
    }
    s.lastActive = performance.now();
    if (f.type === 'window') {
      if (f.consumed <= s.peerConsumed) return;
      if (f.consumed > s.sentBytes) {
        stats.protocolErrors++;
        reset(s, CloseReason.Protocol, true, 'peer acknowledged bytes never sent');
        return;
      }
      s.peerConsumed = f.consumed;
      const b = s.blocked;
      if (b) {
        s.blocked = undefined;
        s.pushOut(b.rest, b.cb);
      }
      return;
    }
    if (f.type === 'close' && f.reason !== CloseReason.End) {
      if (f.reason === CloseReason.Idle) stats.idleResets++;
      reset(s, f.reason, false, `peer reset the stream (reason ${f.reason})`);
      return;
    }
    // DATA or CLOSE END: in order of seq.
    if (f.seq < s.recvSeq || s.reorder.has(f.seq)) {
      stats.duplicates++;
      return;
    }
    const size = f.type === 'data' ? f.bytes.length : 0;
    // What the peer may have outstanding: the window, plus one frame of slack.
    if (s.delivered + s.reorderBytes + size - s.consumed > window + MAX_DATA || s.reorder.size > (4 * window) / 1024) {
      stats.protocolErrors++;
      reset(s, CloseReason.Protocol, true, 'peer overran the window');
      return;
    }
    s.reorder.set(f.seq, f);
    s.reorderBytes += size;
    deliver(s);
  };

  return {
    open(host, port, timeoutMs) {
      const id = nextId;
      nextId = nextId >= 0xffffffff ? 1 : nextId + 1;
      const s = makeStream(id);
      stats.opened++;
      return new Promise<OpenResult>((resolve) => {
        const timer = setTimeout(() => {
          pendingOpens.delete(id);
          reset(s, CloseReason.Reset, true, 'open timed out');
          resolve({ ok: false, code: OPEN_TIMEOUT_CODE });
        }, timeoutMs);
        timer.unref();
        pendingOpens.set(id, { resolve, timer });
        queue({ type: 'open', streamId: id, host, port });
      });
    },
    receive(frames) {
      for (const f of frames) onFrame(f);
    },
    take(maxBytes) {
      const out: Frame[] = [];
      let bytes = 0;
      while (outbox.length > 0) {
        const f = outbox[0] as Frame;
        const n = frameSize(f);
        if (out.length > 0 && (bytes + n > maxBytes || out.length >= MAX_FRAMES)) break;
        outbox.shift();
        if (f.type === 'window') windowFrames.delete(f.streamId);
        pendingBytes -= n;
        // Data of a stream reset meanwhile is not worth sending.
        if (f.type === 'data' && !streams.has(f.streamId)) continue;
        bytes += n;
        out.push(f);
      }
      return out;
    },
    get pendingBytes() {
      return pendingBytes;
    },
    get size() {
      return streams.size;
    },
    sweep(now = performance.now()) {
      for (const s of [...streams.values()]) {
        if (now - s.lastActive > idleMs) {
          stats.idleResets++;
          reset(s, CloseReason.Idle, true, `stream idle for ${idleMs} ms`);
        }
      }
    },
    close() {
      for (const s of [...streams.values()]) reset(s, CloseReason.Reset, true, 'mux closed');
      for (const [id, p] of pendingOpens) {
        clearTimeout(p.timer);
        p.resolve({ ok: false, code: 0x01 });
        pendingOpens.delete(id);
      }
    },
    stats: () => ({ ...stats, streams: streams.size }),
  };
}
