import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Batch,
  batchSize,
  decodeBatch,
  encodeBatch,
  type Frame,
  MAX_DATA,
  MAX_FRAMES,
  StreamFrameError,
} from './stream-frame.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const host = fc.stringMatching(/^[a-z0-9.-]{1,255}$/);
const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant('open' as const),
    streamId: u32,
    host,
    port: fc.integer({ min: 1, max: 65535 }),
  }),
  fc.record({ type: fc.constant('open-result' as const), streamId: u32, code: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    type: fc.constant('data' as const),
    streamId: u32,
    seq: u32,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 512 }),
  }),
  fc.record({
    type: fc.constant('close' as const),
    streamId: u32,
    seq: u32,
    reason: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
  }),
  fc.record({ type: fc.constant('window' as const), streamId: u32, consumed: fc.maxSafeNat() }),
);
const batch: fc.Arbitrary<Batch> = fc.record({
  session: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  backlog: u32,
  frames: fc.array(frame, { maxLength: 20 }),
});

describe('stream frames', () => {
  it('round-trips every batch, and its size is what batchSize says', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const bytes = encodeBatch(b);
        expect(bytes.length).toBe(batchSize(b.frames));
        expect(decodeBatch(bytes)).toEqual(b);
      }),
    );
  });

  it('random bytes and truncated or extended batches give only StreamFrameError', () => {
    const onlyClearErrors = (bytes: Uint8Array) => {
      try {
        decodeBatch(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(StreamFrameError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), onlyClearErrors), { numRuns: 10_000 });
    fc.assert(
      fc.property(batch, fc.nat(), fc.uint8Array({ maxLength: 8 }), (b, cut, extra) => {
        const bytes = encodeBatch(b);
        onlyClearErrors(bytes.subarray(0, cut % (bytes.length + 1)));
        if (extra.length > 0) expect(() => decodeBatch(new Uint8Array([...bytes, ...extra]))).toThrow(StreamFrameError);
      }),
      { numRuns: 2_000 },
    );
    // Version 1 headers with random frames: the interesting part of the decoder, not the version check.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 600 }), (s, rest) => {
        const n = rest.length > 0 ? (rest[0] as number) : 0;
        onlyClearErrors(new Uint8Array([1, ...s, 0, 0, 0, 0, 0, n, ...rest]));
      }),
      { numRuns: 10_000 },
    );
  });

  it('refuses what would break the bounds, naming the field', () => {
    const session = new Uint8Array(16);
    const data = (n: number): Frame => ({ type: 'data', streamId: 1, seq: 0, bytes: new Uint8Array(n) });
    expect(() => encodeBatch({ session, backlog: 0, frames: [data(MAX_DATA + 1)] })).toThrow(/data.bytes/);
    expect(() => encodeBatch({ session, backlog: 0, frames: [data(0)] })).toThrow(/data.bytes/);
    expect(() =>
      encodeBatch({ session, backlog: 0, frames: [{ type: 'open', streamId: 1, host: 'a b', port: 80 }] }),
    ).toThrow(/open.host/);
    expect(() =>
      encodeBatch({ session, backlog: 0, frames: [{ type: 'open', streamId: 1, host: 'a', port: 0 }] }),
    ).toThrow(/open.port/);
    expect(() =>
      encodeBatch({
        session,
        backlog: 0,
        frames: new Array(MAX_FRAMES + 1).fill({ type: 'open-result', streamId: 1, code: 0 }),
      }),
    ).toThrow(/frames/);
    // A header claiming more frames than allowed is refused before any frame is read.
    const header = new Uint8Array(1 + 16 + 4 + 2);
    header[0] = 1;
    header[21] = 0xff;
    header[22] = 0xff;
    expect(() => decodeBatch(header)).toThrow(/at most/);
    // A DATA frame whose length field says 0 is refused on decode too.
    const bytes = encodeBatch({ session, backlog: 0, frames: [data(1)] });
    bytes[bytes.length - 3] = 0;
    bytes[bytes.length - 2] = 0;
    expect(() => decodeBatch(bytes.subarray(0, bytes.length - 1))).toThrow(/data.bytes/);
  });
});
