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
  /**
   * Bodies are views into the pushed chunk instead of copies (a frame split across pushes is always
   * assembled in a buffer of its own). For a caller that consumes bodies before the chunk is reused
   * and does not mind a body pinning its chunk: a relay that hands every packet on at once.
   */
  views?: boolean;
}

/**
 * A streaming decoder: push chunks as they arrive, get whole frames back. Throws FrameError on an
 * empty or oversized length prefix (checked before any body is buffered) or an unknown kind.
 * A frame split across pushes costs one buffer of its own size; other bytes are never copied
 * twice, and what is held for a partial frame grows with what has arrived (at most twice that, at
 * least 4 KiB) up to 4 + maxFrameSize, so a bare length prefix reserves little. After a FrameError
 * the decoder is done: the caller closes the connection.
 */
/** First buffer for a split frame: Nym's regular packets (2.4 KB framed) fit, so they take one. */
const PARTIAL_MIN = 4096;

export function createFrameDecoder(opts: FrameDecoderOptions = {}) {
  const maxFrameSize = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  const views = opts.views === true;
  // A frame split across pushes: its length prefix, then (once that is in) kind and body.
  const prefix = new Uint8Array(FRAME_HEADER_SIZE);
  let prefixHave = 0;
  let partial: Uint8Array | undefined;
  let partialLength = 0;
  let partialHave = 0;

  /** Appends to the partial frame, growing its buffer by doubling toward the frame's length. */
  const append = (bytes: Uint8Array) => {
    const need = partialHave + bytes.length;
    if (partial === undefined || partial.length < need) {
      const grown = new Uint8Array(Math.min(partialLength, Math.max(need, 2 * (partial?.length ?? 0), PARTIAL_MIN)));
      if (partial !== undefined) grown.set(partial.subarray(0, partialHave), 0);
      partial = grown;
    }
    partial.set(bytes, partialHave);
    partialHave = need;
  };

  const checkedLength = (buf: Uint8Array, off: number): number => {
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
    return length;
  };

  /** The frame whose kind byte is at `start` and whose length (kind + body) is `length`. */
  const frameAt = (buf: Uint8Array, start: number, length: number, copyBody: boolean): Frame => {
    const kind = buf[start] as number;
    if (!KINDS.has(kind)) throw new FrameError('FRAME_UNKNOWN_KIND', `unknown frame kind ${kind}`);
    const body = buf.subarray(start + 1, start + length);
    // A copy unless asked for views, so a frame never pins the (larger) chunk it arrived in.
    return { kind: kind as FrameKind, body: copyBody ? new Uint8Array(body) : body };
  };

  return {
    /** Bytes held for an incomplete frame. */
    get buffered(): number {
      return prefixHave + partialHave;
    },
    push(chunk: Uint8Array): Frame[] {
      const frames: Frame[] = [];
      const end = chunk.length;
      let off = 0;
      // 1. Finish a frame begun in an earlier push, copying only its own bytes.
      if (prefixHave > 0) {
        if (prefixHave < FRAME_HEADER_SIZE) {
          const take = Math.min(FRAME_HEADER_SIZE - prefixHave, end);
          prefix.set(chunk.subarray(0, take), prefixHave);
          prefixHave += take;
          off = take;
          if (prefixHave < FRAME_HEADER_SIZE) return frames;
          partialLength = checkedLength(prefix, 0);
        }
        const take = Math.min(partialLength - partialHave, end - off);
        append(chunk.subarray(off, off + take));
        off += take;
        if (partialHave < partialLength) return frames;
        // The assembled buffer is ours alone, so its body needs no copy either way.
        const done = partial as Uint8Array;
        partial = undefined;
        prefixHave = 0;
        partialHave = 0;
        frames.push(frameAt(done, 0, partialLength, false));
      }
      // 2. Whole frames inside this chunk.
      while (end - off >= FRAME_HEADER_SIZE) {
        const length = checkedLength(chunk, off);
        if (end - off < FRAME_HEADER_SIZE + length) break;
        frames.push(frameAt(chunk, off + FRAME_HEADER_SIZE, length, !views));
        off += FRAME_HEADER_SIZE + length;
      }
      // 3. The start of a frame that continues in a later push.
      if (off < end) {
        const n = Math.min(FRAME_HEADER_SIZE, end - off);
        prefix.set(chunk.subarray(off, off + n), 0);
        prefixHave = n;
        off += n;
        if (prefixHave === FRAME_HEADER_SIZE) {
          partialLength = checkedLength(prefix, 0);
          append(chunk.subarray(off, end));
        }
      }
      return frames;
    },
  };
}

export type FrameDecoder = ReturnType<typeof createFrameDecoder>;
