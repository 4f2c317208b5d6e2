/** Fragments (fragment.ts): encoding round trips, decoder bounds, and how messages split. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, DecodeError } from './bytes.js';
import {
  decodeFragment,
  encodeFragment,
  FRAGMENT_HEADER_SIZE,
  type Fragment,
  MESSAGE_ID_SIZE,
  splitMessage,
} from './fragment.js';

const idArb = fc.uint8Array({ minLength: MESSAGE_ID_SIZE, maxLength: MESSAGE_ID_SIZE });
const fragmentArb: fc.Arbitrary<Fragment> = fc
  .tuple(idArb, fc.integer({ min: 1, max: 0xffff_ffff }), fc.nat(), fc.uint8Array({ maxLength: 300 }))
  .map(([messageId, count, i, data]) => ({ messageId, count, index: i % count, data }));

/** A fragment header with any index and count, bypassing encodeFragment's callers. */
function rawFragment(index: number, count: number, data = new Uint8Array(0)): Uint8Array {
  const head = new Uint8Array(FRAGMENT_HEADER_SIZE);
  const view = new DataView(head.buffer);
  view.setUint32(MESSAGE_ID_SIZE, index);
  view.setUint32(MESSAGE_ID_SIZE + 4, count);
  return concat(head, data);
}

describe('encodeFragment / decodeFragment', () => {
  it('round-trips any valid fragment', () => {
    fc.assert(
      fc.property(fragmentArb, (f) => {
        const bytes = encodeFragment(f);
        expect(bytes).toHaveLength(FRAGMENT_HEADER_SIZE + f.data.length);
        expect(decodeFragment(bytes)).toEqual(f);
      }),
    );
  });

  it('writes the header big-endian: id, index, count', () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => i);
    const bytes = encodeFragment({ messageId: id, index: 0x01020304, count: 0x05060708, data: Uint8Array.of(0xaa) });
    expect(Buffer.from(bytes).toString('hex')).toBe(`${Buffer.from(id).toString('hex')}0102030405060708aa`);
  });

  it('rejects index ≥ count with a DecodeError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffff_ffff }), fc.nat(), (count, extra) => {
        const index = Math.min(0xffff_ffff, count + (extra % 1000));
        expect(() => decodeFragment(rawFragment(index, count))).toThrow(DecodeError);
      }),
    );
    expect(() => decodeFragment(rawFragment(3, 3))).toThrow(DecodeError);
    expect(decodeFragment(rawFragment(2, 3)).index).toBe(2);
  });

  it('rejects a count of 0', () => {
    expect(() => decodeFragment(rawFragment(0, 0))).toThrow(DecodeError);
  });

  it('rejects truncation anywhere in the header with a DecodeError', () => {
    const bytes = encodeFragment({ messageId: new Uint8Array(16), index: 0, count: 1, data: new Uint8Array(0) });
    for (let n = 0; n < FRAGMENT_HEADER_SIZE; n++) {
      expect(() => decodeFragment(bytes.subarray(0, n)), `${n} bytes`).toThrow(DecodeError);
    }
    // The header alone is a fragment with no data.
    expect(decodeFragment(bytes).data).toHaveLength(0);
  });

  it('throws nothing but DecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const f = decodeFragment(bytes);
          expect(f.count).toBeGreaterThan(0);
          expect(f.index).toBeLessThan(f.count);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});

describe('splitMessage', () => {
  it('splits into full fragments and a last one that together give the message back', () => {
    fc.assert(
      fc.property(idArb, fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 400 }), (id, message, cap) => {
        const frags = splitMessage(id, message, cap);
        expect(frags).toHaveLength(Math.max(1, Math.ceil(message.length / cap)));
        for (const [i, f] of frags.entries()) {
          expect(f.index).toBe(i);
          expect(f.count).toBe(frags.length);
          expect(f.messageId).toEqual(id);
          if (i < frags.length - 1) expect(f.data).toHaveLength(cap);
          else expect(f.data.length).toBeLessThanOrEqual(cap);
        }
        expect(concat(...frags.map((f) => f.data))).toEqual(message);
      }),
    );
  });

  it('an empty message is one empty fragment', () => {
    const frags = splitMessage(new Uint8Array(16), new Uint8Array(0), 100);
    expect(frags).toEqual([{ messageId: new Uint8Array(16), index: 0, count: 1, data: new Uint8Array(0) }]);
  });

  it('refuses a capacity below 1', () => {
    expect(() => splitMessage(new Uint8Array(16), new Uint8Array(5), 0)).toThrow(RangeError);
  });
});
