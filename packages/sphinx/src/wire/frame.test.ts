/** The frame codec (frame.ts): round trips over arbitrary chunking, and bounded, typed failures. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  FRAME_HEADER_SIZE,
  type Frame,
  FrameError,
  FrameKind,
} from './frame.js';

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** Splits `bytes` at the given cut points (any values; reduced into range, sorted, deduplicated). */
const split = (bytes: Uint8Array, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(prev, p)); // empty chunks included: push([]) must be harmless
    prev = p;
  }
  return chunks;
};

const arbFrame = fc.uint8Array({ maxLength: 600 }).map((body): Frame => ({ kind: FrameKind.Packet, body }));

const lengthPrefix = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
};

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof FrameError ? e.code : e;
  }
  return undefined;
};

describe('frame codec', () => {
  it('encodes BE32(length) || kind || body', () => {
    expect([...encodeFrame(FrameKind.Packet, new Uint8Array([0xaa, 0xbb]))]).toEqual([0, 0, 0, 3, 0x01, 0xaa, 0xbb]);
    expect([...encodeFrame(FrameKind.Packet, new Uint8Array(0))]).toEqual([0, 0, 0, 1, 0x01]);
  });

  it.each([false, true])(
    'property: frames, concatenated and split anywhere, decode to the same frames (views: %s)',
    (views) => {
      fc.assert(
        fc.property(fc.array(arbFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
          const stream = concat(frames.map((f) => encodeFrame(f.kind, f.body)));
          const dec = createFrameDecoder({ views });
          const out: Frame[] = [];
          for (const chunk of split(stream, cuts)) out.push(...dec.push(chunk));
          expect(out).toEqual(frames);
          expect(dec.buffered).toBe(0);
        }),
      );
    },
  );

  it('property: one byte at a time decodes the same, and buffered is 0 at every frame boundary', () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 6 }), (frames) => {
        const dec = createFrameDecoder();
        const out: Frame[] = [];
        for (const f of frames) {
          const bytes = encodeFrame(f.kind, f.body);
          for (let i = 0; i < bytes.length; i++) {
            out.push(...dec.push(bytes.subarray(i, i + 1)));
            expect(dec.buffered).toBe(i + 1 === bytes.length ? 0 : i + 1);
          }
        }
        expect(out).toEqual(frames);
      }),
      { numRuns: 50 },
    );
  });

  it('decoded bodies are copies, not views of the caller’s chunk', () => {
    const chunk = encodeFrame(FrameKind.Packet, new Uint8Array([1, 2, 3]));
    const [frame] = createFrameDecoder().push(chunk);
    chunk.fill(0);
    expect([...(frame?.body ?? [])]).toEqual([1, 2, 3]);
  });

  it('with views, a frame inside one chunk is a view of it; a frame split across chunks gets its own buffer', () => {
    const stream = concat([
      encodeFrame(FrameKind.Packet, new Uint8Array([1, 2, 3])),
      encodeFrame(FrameKind.Packet, new Uint8Array([4, 5, 6])),
    ]);
    const dec = createFrameDecoder({ views: true });
    const [whole] = dec.push(stream.subarray(0, 10));
    expect(whole?.body.buffer).toBe(stream.buffer);
    const [split] = dec.push(stream.subarray(10));
    expect([...(split?.body ?? [])]).toEqual([4, 5, 6]);
    expect(split?.body.buffer).not.toBe(stream.buffer);
    expect(dec.buffered).toBe(0);
  });

  it.each([false, true])(
    'a frame split across pushes keeps its bytes when the caller reuses its chunks (views: %s)',
    (views) => {
      const bytes = encodeFrame(
        FrameKind.Packet,
        Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff),
      );
      const dec = createFrameDecoder({ views });
      const out: Frame[] = [];
      const chunk = new Uint8Array(700);
      for (let off = 0; off < bytes.length; off += chunk.length) {
        const part = bytes.subarray(off, off + chunk.length);
        chunk.set(part);
        out.push(...dec.push(chunk.subarray(0, part.length)));
        chunk.fill(0xee); // a caller recycling its read buffer
      }
      expect(out).toEqual([{ kind: FrameKind.Packet, body: bytes.subarray(5) }]);
    },
  );

  it('property: an oversized length throws FRAME_TOO_LARGE as soon as the 4-byte prefix is in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 1, max: 2 ** 32 - 1 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (max, length, cuts) => {
          fc.pre(length > max);
          const dec = createFrameDecoder({ maxFrameSize: max });
          const chunks = split(lengthPrefix(length), cuts).filter((c) => c.length > 0);
          const last = chunks.pop() as Uint8Array;
          for (const c of chunks) expect(dec.push(c)).toEqual([]);
          expect(codeOf(() => dec.push(last))).toBe('FRAME_TOO_LARGE');
        },
      ),
    );
    // Also right after a good frame in the same chunk, with no body bytes at all.
    const dec = createFrameDecoder();
    const good = encodeFrame(FrameKind.Packet, new Uint8Array(5));
    expect(codeOf(() => dec.push(concat([good, lengthPrefix(DEFAULT_MAX_FRAME_SIZE + 1)])))).toBe('FRAME_TOO_LARGE');
    // The maximum itself is accepted.
    const atMax = encodeFrame(FrameKind.Packet, new Uint8Array(DEFAULT_MAX_FRAME_SIZE - 1));
    expect(createFrameDecoder().push(atMax)).toHaveLength(1);
  });

  it('length 0 is FRAME_EMPTY, an unknown kind FRAME_UNKNOWN_KIND', () => {
    expect(codeOf(() => createFrameDecoder().push(lengthPrefix(0)))).toBe('FRAME_EMPTY');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }).filter((k) => !(Object.values(FrameKind) as number[]).includes(k)),
        fc.uint8Array({ maxLength: 50 }),
        (kind, body) => {
          const frame = encodeFrame(kind as FrameKind, body);
          expect(codeOf(() => createFrameDecoder().push(frame))).toBe('FRAME_UNKNOWN_KIND');
        },
      ),
    );
  });

  it('property: random byte streams only ever throw FrameError and never buffer past maxFrameSize + 4', () => {
    const arbStream = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        // Plausible prefixes, so that streams also reach the kind check and long partial bodies.
        fc.integer({ min: 0, max: 600 }).map(lengthPrefix),
        fc.uint8Array({ maxLength: 300 }).map((b) => encodeFrame(FrameKind.Packet, b)),
      ),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }),
        arbStream,
        fc.array(fc.nat(), { maxLength: 30 }),
        (max, parts, cuts) => {
          const dec = createFrameDecoder({ maxFrameSize: max });
          for (const chunk of split(concat(parts), cuts)) {
            let frames: Frame[];
            try {
              frames = dec.push(chunk);
            } catch (e) {
              expect(e).toBeInstanceOf(FrameError);
              return; // the caller closes the connection here
            }
            for (const f of frames) {
              expect(f.kind).toBe(FrameKind.Packet);
              expect(f.body.length + 1).toBeLessThanOrEqual(max);
            }
            expect(dec.buffered).toBeLessThanOrEqual(max + FRAME_HEADER_SIZE);
          }
        },
      ),
    );
  });
});
