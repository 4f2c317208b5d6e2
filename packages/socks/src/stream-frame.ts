/**
 * The stream protocol's wire format (our own): what a SOCKS client and a network requester say to
 * each other inside mixnet messages. Every message is one batch of frames of one session:
 *
 *   batch        = version u8 (1) || session id (16) || backlog u32 || u16 n || n × frame
 *                  (backlog: bytes the requester still holds for this session; 0 from a client)
 *   frame        = type u8 || stream id u32 || …
 *   1 OPEN         u8 host length || host (ASCII) || u16 port
 *   2 OPEN_RESULT  u8 code (0 = connected, else a SOCKS5 reply code)
 *   3 DATA         u32 seq || u16 length || bytes (1..MAX_DATA)
 *   4 CLOSE        u32 seq || u8 reason (END is this direction's FIN, ordered by seq; others reset)
 *   5 WINDOW       f64 consumed (bytes of this stream the receiver has taken in total)
 *
 * DATA and CLOSE of one direction share one seq space, so a FIN arrives after the data before it.
 * The decoder is bounded: at most MAX_FRAMES frames, no trailing bytes, every length checked.
 */

export const BATCH_VERSION = 1;
export const SESSION_ID_SIZE = 16;
/** Largest DATA payload. */
export const MAX_DATA = 16 * 1024;
/** Most frames in one batch. */
export const MAX_FRAMES = 1024;
const BATCH_HEADER = 1 + SESSION_ID_SIZE + 4 + 2;

export const FrameType = { Open: 1, OpenResult: 2, Data: 3, Close: 4, Window: 5 } as const;

export const CloseReason = {
  /** This direction is done (half-close); the other may go on. */
  End: 0,
  /** Abort both directions. */
  Reset: 1,
  /** Nothing moved for the idle timeout. */
  Idle: 2,
  /** The peer broke the protocol (window overrun, reorder buffer full, unknown stream). */
  Protocol: 3,
} as const;
export type CloseReasonCode = (typeof CloseReason)[keyof typeof CloseReason];

export type Frame =
  | { type: 'open'; streamId: number; host: string; port: number }
  | { type: 'open-result'; streamId: number; code: number }
  | { type: 'data'; streamId: number; seq: number; bytes: Uint8Array }
  | { type: 'close'; streamId: number; seq: number; reason: CloseReasonCode }
  | { type: 'window'; streamId: number; consumed: number };

export interface Batch {
  session: Uint8Array;
  backlog: number;
  frames: Frame[];
}

export class StreamFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamFrameError';
  }
}

/** Encoded size of a frame, for batching under a byte cap. */
export function frameSize(f: Frame): number {
  switch (f.type) {
    case 'open':
      return 5 + 1 + f.host.length + 2;
    case 'open-result':
      return 5 + 1;
    case 'data':
      return 5 + 4 + 2 + f.bytes.length;
    case 'close':
      return 5 + 4 + 1;
    case 'window':
      return 5 + 8;
  }
}

export function batchSize(frames: readonly Frame[]): number {
  let n = BATCH_HEADER;
  for (const f of frames) n += frameSize(f);
  return n;
}

const u32ok = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

function checkFrame(f: Frame): void {
  if (!u32ok(f.streamId)) throw new StreamFrameError(`streamId must be a u32, got ${f.streamId}`);
  if (f.type === 'open') {
    if (f.host.length < 1 || f.host.length > 255 || !/^[\x21-\x7e]+$/.test(f.host))
      throw new StreamFrameError(`open.host must be 1–255 printable ASCII characters, got "${f.host}"`);
    if (!Number.isInteger(f.port) || f.port < 1 || f.port > 65535)
      throw new StreamFrameError(`open.port must be 1–65535, got ${f.port}`);
  } else if (f.type === 'open-result') {
    if (!Number.isInteger(f.code) || f.code < 0 || f.code > 255)
      throw new StreamFrameError(`open-result.code must be a u8, got ${f.code}`);
  } else if (f.type === 'data') {
    if (!u32ok(f.seq)) throw new StreamFrameError(`data.seq must be a u32, got ${f.seq}`);
    if (f.bytes.length < 1 || f.bytes.length > MAX_DATA)
      throw new StreamFrameError(`data.bytes must be 1–${MAX_DATA} bytes, got ${f.bytes.length}`);
  } else if (f.type === 'close') {
    if (!u32ok(f.seq)) throw new StreamFrameError(`close.seq must be a u32, got ${f.seq}`);
  } else if (!Number.isSafeInteger(f.consumed) || f.consumed < 0)
    throw new StreamFrameError(`window.consumed must be a non-negative integer, got ${f.consumed}`);
}

export function encodeBatch(b: Batch): Uint8Array {
  if (b.session.length !== SESSION_ID_SIZE) throw new StreamFrameError(`session must be ${SESSION_ID_SIZE} bytes`);
  if (b.frames.length > MAX_FRAMES) throw new StreamFrameError(`at most ${MAX_FRAMES} frames in a batch`);
  if (!u32ok(b.backlog)) throw new StreamFrameError(`backlog must be a u32, got ${b.backlog}`);
  for (const f of b.frames) checkFrame(f);
  const out = new Uint8Array(batchSize(b.frames));
  const v = new DataView(out.buffer);
  out[0] = BATCH_VERSION;
  out.set(b.session, 1);
  let o = 1 + SESSION_ID_SIZE;
  v.setUint32(o, b.backlog);
  v.setUint16(o + 4, b.frames.length);
  o = BATCH_HEADER;
  for (const f of b.frames) {
    out[o] =
      FrameType[
        ({ open: 'Open', 'open-result': 'OpenResult', data: 'Data', close: 'Close', window: 'Window' } as const)[f.type]
      ];
    v.setUint32(o + 1, f.streamId);
    o += 5;
    switch (f.type) {
      case 'open':
        out[o] = f.host.length;
        for (let i = 0; i < f.host.length; i++) out[o + 1 + i] = f.host.charCodeAt(i);
        o += 1 + f.host.length;
        v.setUint16(o, f.port);
        o += 2;
        break;
      case 'open-result':
        out[o++] = f.code;
        break;
      case 'data':
        v.setUint32(o, f.seq);
        v.setUint16(o + 4, f.bytes.length);
        out.set(f.bytes, o + 6);
        o += 6 + f.bytes.length;
        break;
      case 'close':
        v.setUint32(o, f.seq);
        out[o + 4] = f.reason;
        o += 5;
        break;
      case 'window':
        v.setFloat64(o, f.consumed);
        o += 8;
        break;
    }
  }
  return out;
}

/** Decodes one batch; throws StreamFrameError naming what is wrong. Never reads past `bytes`. */
export function decodeBatch(bytes: Uint8Array): Batch {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const need = (n: number, what: string) => {
    if (o + n > bytes.length) throw new StreamFrameError(`batch: truncated in ${what}`);
  };
  need(BATCH_HEADER, 'header');
  if (bytes[0] !== BATCH_VERSION) throw new StreamFrameError(`batch: version ${bytes[0]}, expected ${BATCH_VERSION}`);
  const session = bytes.slice(1, 1 + SESSION_ID_SIZE);
  const backlog = v.getUint32(1 + SESSION_ID_SIZE);
  const n = v.getUint16(1 + SESSION_ID_SIZE + 4);
  if (n > MAX_FRAMES) throw new StreamFrameError(`batch: ${n} frames, at most ${MAX_FRAMES}`);
  o = BATCH_HEADER;
  const frames: Frame[] = [];
  for (let i = 0; i < n; i++) {
    need(5, 'frame header');
    const type = bytes[o] as number;
    const streamId = v.getUint32(o + 1);
    o += 5;
    switch (type) {
      case FrameType.Open: {
        need(1, 'open.host length');
        const len = bytes[o] as number;
        need(1 + len + 2, 'open');
        let host = '';
        for (let k = 0; k < len; k++) host += String.fromCharCode(bytes[o + 1 + k] as number);
        o += 1 + len;
        const port = v.getUint16(o);
        o += 2;
        frames.push({ type: 'open', streamId, host, port });
        break;
      }
      case FrameType.OpenResult:
        need(1, 'open-result');
        frames.push({ type: 'open-result', streamId, code: bytes[o++] as number });
        break;
      case FrameType.Data: {
        need(6, 'data header');
        const seq = v.getUint32(o);
        const len = v.getUint16(o + 4);
        need(6 + len, 'data');
        frames.push({ type: 'data', streamId, seq, bytes: bytes.slice(o + 6, o + 6 + len) });
        o += 6 + len;
        break;
      }
      case FrameType.Close: {
        need(5, 'close');
        const reason = bytes[o + 4] as number;
        if (reason > CloseReason.Protocol) throw new StreamFrameError(`close: unknown reason ${reason}`);
        frames.push({ type: 'close', streamId, seq: v.getUint32(o), reason: reason as CloseReasonCode });
        o += 5;
        break;
      }
      case FrameType.Window:
        need(8, 'window');
        frames.push({ type: 'window', streamId, consumed: v.getFloat64(o) });
        o += 8;
        break;
      default:
        throw new StreamFrameError(`batch: unknown frame type ${type}`);
    }
    const f = frames[frames.length - 1] as Frame;
    try {
      checkFrame(f);
    } catch (err) {
      throw new StreamFrameError(`batch: frame ${i}: ${(err as Error).message}`);
    }
  }
  if (o !== bytes.length) throw new StreamFrameError(`batch: ${bytes.length - o} trailing bytes`);
  return { session, backlog, frames };
}
