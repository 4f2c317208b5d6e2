/**
 * The frame codec between processes (ARCHITECTURE.md, "Wire between processes"): every frame is
 * `BE32(length) || kind(1) || body(length − 1)`, where length counts kind and body. Decoders are
 * bounded by a maximum frame size; anything malformed is a FrameError and the caller closes that
 * connection (no input can make a decoder buffer without limit).
 */

export const FRAME_HEADER_SIZE = 4;

/** What a frame carries. */
export const FrameKind = {
  /** One Sphinx packet, as bytes (SPHINX.md §7). */
  Packet: 0x01,
  /**
   * The sending node's id (UTF-8, at most MAX_HELLO_SIZE bytes), the first frame on a link: lets a
   * node name the previous hop in trace mode (ANONYMITY.md §1, `pi`). Carries nothing secret.
   */
  Hello: 0x02,
} as const;
export const MAX_HELLO_SIZE = 64;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Nym's largest packet (ExtendedPacket32, 33,133 bytes) plus the kind byte, rounded up. */
export const DEFAULT_MAX_FRAME_SIZE = 40 * 1024;

export class FrameError extends Error {
  readonly code: 'FRAME_TOO_LARGE' | 'FRAME_EMPTY' | 'FRAME_UNKNOWN_KIND';
  constructor(code: FrameError['code'], message: string) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
  }
}

export interface Frame {
  kind: FrameKind;
  body: Uint8Array;
}

const KINDS = new Set<number>(Object.values(FrameKind));

export function encodeFrame(kind: FrameKind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + 1 + body.length);
  new DataView(out.buffer).setUint32(0, body.length + 1, false);
  out[FRAME_HEADER_SIZE] = kind;
  out.set(body, FRAME_HEADER_SIZE + 1);
  return out;
}

export interface FrameDecoderOptions {
  /** Largest accepted `length` (kind + body); default 40 KiB. */
  maxFrameSize?: number;
}

/**
 * A streaming decoder: push chunks as they arrive, get whole frames back. Throws FrameError on an
 * empty or oversized length prefix (checked before any body is buffered) or an unknown kind.
 */
export function createFrameDecoder(opts: FrameDecoderOptions = {}) {
  const maxFrameSize = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  let pending: Uint8Array = new Uint8Array(0);

  return {
    /** Bytes held for an incomplete frame. */
    get buffered(): number {
      return pending.length;
    },
    push(chunk: Uint8Array): Frame[] {
      let buf = pending.length === 0 ? chunk : concat(pending, chunk);
      const frames: Frame[] = [];
      let off = 0;
      while (buf.length - off >= FRAME_HEADER_SIZE) {
        const length =
          (((buf[off] as number) << 24) |
            ((buf[off + 1] as number) << 16) |
            ((buf[off + 2] as number) << 8) |
            (buf[off + 3] as number)) >>>
          0;
        if (length === 0) throw new FrameError('FRAME_EMPTY', 'frame length 0');
        if (length > maxFrameSize) {
          throw new FrameError('FRAME_TOO_LARGE', `frame length ${length} exceeds the maximum ${maxFrameSize}`);
        }
        if (buf.length - off < FRAME_HEADER_SIZE + length) break;
        const kind = buf[off + FRAME_HEADER_SIZE] as number;
        if (!KINDS.has(kind)) throw new FrameError('FRAME_UNKNOWN_KIND', `unknown frame kind ${kind}`);
        // A copy, so a frame never pins the (larger) chunk it arrived in.
        frames.push({
          kind: kind as FrameKind,
          body: copy(buf, off + FRAME_HEADER_SIZE + 1, off + FRAME_HEADER_SIZE + length),
        });
        off += FRAME_HEADER_SIZE + length;
      }
      pending = off === buf.length ? new Uint8Array(0) : copy(buf, off, buf.length);
      buf = pending;
      return frames;
    },
  };
}

export type FrameDecoder = ReturnType<typeof createFrameDecoder>;

/** A real copy even when given a Node Buffer, whose own slice() returns a view into shared memory. */
function copy(src: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(src.subarray(start, end));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
