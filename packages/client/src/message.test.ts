/** Messages (message.ts): round trips of the three kinds; malformed input fails with DecodeError only. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, Writer } from './bytes.js';
import {
  decodeMessage,
  encodeMessage,
  type IndexedSurb,
  MAX_SURBS_PER_MESSAGE,
  type Message,
  MessageKind,
  RESEND_ALL,
} from './message.js';

/** The largest SURB a message carries: version 258 over 5 hops. */
const MAX_SURB = 348 + 32 + 5 * 192;

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const surbArb: fc.Arbitrary<IndexedSurb> = fc.record({
  index: fc.nat({ max: 0xffff_ffff }),
  surb: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(460, 1148, MAX_SURB).chain(bytes)),
});
const surbsArb = fc.array(surbArb, { maxLength: MAX_SURBS_PER_MESSAGE });
const bodyArb = fc.uint8Array({ maxLength: 2000 });

const dataArb = fc.record({ kind: fc.constant('data' as const), body: bodyArb });
const requestArb = fc.record({
  kind: fc.constant('request' as const),
  requestId: bytes(16),
  secret: bytes(32),
  surbs: surbsArb,
  body: bodyArb,
});
const surbsMessageArb = fc.record({
  kind: fc.constant('surbs' as const),
  requestId: bytes(16),
  resend: fc.oneof(fc.constant('all' as const), fc.array(fc.nat({ max: 0xffff_ffff }), { maxLength: 300 })),
  surbs: surbsArb,
});
const messageArb: fc.Arbitrary<Message> = fc.oneof(dataArb, requestArb, surbsMessageArb);

/** Decodes, and fails the test if anything but a DecodeError is thrown. */
function decodeOrDecodeError(b: Uint8Array): Message | DecodeError {
  try {
    return decodeMessage(b);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
}

/** Bytes of the request header up to (not including) the body. */
function requestHeaderLength(m: Extract<Message, { kind: 'request' }>): number {
  return 1 + 16 + 32 + 1 + m.surbs.reduce((n, s) => n + 6 + s.surb.length, 0);
}

describe('encodeMessage / decodeMessage', () => {
  it('round-trips every kind', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { numRuns: 150 },
    );
  });

  it("tells resend 'all' apart from every list, the empty one included", () => {
    const base = { kind: 'surbs' as const, requestId: new Uint8Array(16), surbs: [] };
    const all = encodeMessage({ ...base, resend: 'all' });
    const none = encodeMessage({ ...base, resend: [] });
    expect(all).not.toEqual(none);
    expect(decodeMessage(all)).toMatchObject({ resend: 'all' });
    expect(decodeMessage(none)).toMatchObject({ resend: [] });
    expect(decodeMessage(encodeMessage({ ...base, resend: [0, 7, 0xffff_ffff] }))).toMatchObject({
      resend: [0, 7, 0xffff_ffff],
    });
  });

  it('starts with the kind byte', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const kind = { data: MessageKind.Data, request: MessageKind.Request, surbs: MessageKind.Surbs }[m.kind];
        expect(encodeMessage(m)[0]).toBe(kind);
      }),
    );
  });

  it('refuses to encode what it could not decode', () => {
    const surbs = Array.from({ length: MAX_SURBS_PER_MESSAGE + 1 }, (_, index) => ({ index, surb: new Uint8Array(4) }));
    const id = new Uint8Array(16);
    expect(() =>
      encodeMessage({ kind: 'request', requestId: id, secret: new Uint8Array(32), surbs, body: new Uint8Array(0) }),
    ).toThrow(RangeError);
    expect(() => encodeMessage({ kind: 'surbs', requestId: id, resend: 'all', surbs })).toThrow(RangeError);
    const resend = Array.from({ length: RESEND_ALL }, (_, i) => i);
    expect(() => encodeMessage({ kind: 'surbs', requestId: id, resend, surbs: [] })).toThrow(RangeError);
  });
});

describe('decodeMessage on malformed input', () => {
  it('throws nothing but DecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }),
          // Valid kind bytes, so the fuzz reaches past the first switch.
          fc
            .tuple(fc.constantFrom(1, 2, 3), fc.uint8Array({ maxLength: 600 }))
            .map(([k, rest]) => Uint8Array.of(k, ...rest)),
        ),
        (b) => {
          decodeOrDecodeError(b);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('throws nothing but DecodeError on mutations of valid messages', () => {
    fc.assert(
      fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }), (m, edits) => {
        const b = encodeMessage(m);
        for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
        decodeOrDecodeError(b);
      }),
      { numRuns: 500 },
    );
  });

  it('fails on truncation anywhere in the fixed part (the body of data and request may be cut)', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (m, pick) => {
        const b = encodeMessage(m);
        const cut = pick % b.length; // a strict prefix
        const res = decodeOrDecodeError(b.subarray(0, cut));
        if (cut === 0) expect(res).toBeInstanceOf(DecodeError);
        else if (m.kind === 'data') expect(res).toEqual({ kind: 'data', body: m.body.subarray(0, cut - 1) });
        else if (m.kind === 'request') {
          const head = requestHeaderLength(m);
          if (cut < head) expect(res).toBeInstanceOf(DecodeError);
          else expect(res).toEqual({ ...m, body: m.body.subarray(0, cut - head) });
        } else expect(res).toBeInstanceOf(DecodeError); // every byte of a SURBS message is accounted for
      }),
      { numRuns: 500 },
    );
  });

  it('rejects an unknown kind', () => {
    for (const kind of [0, 4, 0x7f, 0xff]) {
      expect(() => decodeMessage(Uint8Array.of(kind, 1, 2, 3))).toThrow(DecodeError);
    }
    expect(() => decodeMessage(new Uint8Array(0))).toThrow(DecodeError);
  });

  it('rejects more SURBs than a message may carry, before reading them', () => {
    const w = new Writer()
      .u8(MessageKind.Request)
      .bytes(new Uint8Array(48))
      .u8(MAX_SURBS_PER_MESSAGE + 1);
    for (let i = 0; i <= MAX_SURBS_PER_MESSAGE; i++) w.u32(i).u16(1).u8(0);
    expect(() => decodeMessage(w.finish())).toThrow(/at most 64/);
    const s = new Writer().u8(MessageKind.Surbs).bytes(new Uint8Array(16)).u16(0).u8(0xff);
    expect(() => decodeMessage(s.finish())).toThrow(DecodeError);
  });

  it('rejects a SURB longer than any real SURB even when the bytes are there', () => {
    const make = (len: number) =>
      new Writer()
        .u8(MessageKind.Request)
        .bytes(new Uint8Array(48))
        .u8(1)
        .u32(0)
        .u16(len)
        .bytes(new Uint8Array(len))
        .finish();
    expect(decodeMessage(make(MAX_SURB))).toMatchObject({ kind: 'request', surbs: [{ index: 0 }] });
    expect(() => decodeMessage(make(MAX_SURB + 1))).toThrow(DecodeError);
    expect(() => decodeMessage(make(0xffff))).toThrow(DecodeError);
  });

  it('rejects trailing bytes after the SURBs of a SURBS message', () => {
    fc.assert(
      fc.property(surbsMessageArb, fc.uint8Array({ minLength: 1, maxLength: 20 }), (m, extra) => {
        const b = encodeMessage(m);
        expect(() => decodeMessage(Uint8Array.of(...b, ...extra))).toThrow(DecodeError);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a resend list longer than its bytes', () => {
    const b = new Writer()
      .u8(MessageKind.Surbs)
      .bytes(new Uint8Array(16))
      .u16(RESEND_ALL - 1)
      .u32(1)
      .finish();
    expect(() => decodeMessage(b)).toThrow(DecodeError);
  });
});
