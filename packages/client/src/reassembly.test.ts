/** Reassembly (reassembly.ts): any order, exactly once, bounded by size, count and time. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Fragment, MESSAGE_ID_SIZE, splitMessage } from './fragment.js';
import { type AddResult, createReassembler, type ReassemblerOptions } from './reassembly.js';

const idArb = fc.uint8Array({ minLength: MESSAGE_ID_SIZE, maxLength: MESSAGE_ID_SIZE });
const id = (n: number) => {
  const b = new Uint8Array(MESSAGE_ID_SIZE);
  b[0] = n;
  return b;
};

/** A message, a capacity, and a delivery order: every fragment once, some more than once, shuffled. */
const deliveryArb = fc
  .record({
    messageId: idArb,
    message: fc.uint8Array({ maxLength: 1500 }),
    capacity: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 16, max: 400 })),
  })
  .filter((r) => Math.ceil(r.message.length / r.capacity) <= 200)
  .chain((r) => {
    const count = Math.max(1, Math.ceil(r.message.length / r.capacity));
    const all = Array.from({ length: count }, (_, i) => i);
    return fc
      .array(fc.nat({ max: count - 1 }), { maxLength: 20 })
      .chain((dups) => {
        const seq = [...all, ...dups];
        return fc.shuffledSubarray(seq, { minLength: seq.length, maxLength: seq.length });
      })
      .map((order) => ({ ...r, count, order }));
  });

function options(over: Partial<ReassemblerOptions> = {}): ReassemblerOptions {
  return { capacity: 10, maxMessageSize: 1000, timeoutMs: 1000, ...over };
}

describe('createReassembler', () => {
  it('reassembles any delivery order, with duplicates, into the message exactly once', () => {
    fc.assert(
      fc.property(deliveryArb, ({ messageId, message, capacity, count, order }) => {
        const frags = splitMessage(messageId, message, capacity);
        const r = createReassembler({ capacity, maxMessageSize: 1500, timeoutMs: 60_000 });
        const seen = new Set<number>();
        const results: AddResult[] = [];
        for (const i of order) {
          const res = r.add(frags[i] as Fragment);
          results.push(res);
          if (seen.size === count) expect(res).toEqual({ kind: 'duplicate' });
          else if (seen.has(i)) expect(res).toEqual({ kind: 'duplicate' });
          else {
            seen.add(i);
            if (seen.size < count) expect(res).toEqual({ kind: 'partial', received: seen.size, count });
          }
        }
        const complete = results.filter((x) => x.kind === 'complete');
        expect(complete).toHaveLength(1);
        expect((complete[0] as { message: Uint8Array }).message).toEqual(message);
        expect(r.pending).toBe(0);
        expect(r.missing(messageId)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('keeps interleaved messages apart', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 4, max: 50 }),
        fc.infiniteStream(fc.boolean()),
        (a, b, capacity, coin) => {
          const fa = splitMessage(id(1), a, capacity);
          const fb = splitMessage(id(2), b, capacity);
          const r = createReassembler({ capacity, maxMessageSize: 300, timeoutMs: 60_000 });
          const out = new Map<number, Uint8Array[]>([
            [1, []],
            [2, []],
          ]);
          const it = coin[Symbol.iterator]();
          while (fa.length > 0 || fb.length > 0) {
            const takeA = fb.length === 0 || (fa.length > 0 && it.next().value);
            const f = (takeA ? fa : fb).pop() as Fragment;
            const res = r.add(f);
            if (res.kind === 'complete') out.get(f.messageId[0] as number)?.push(res.message);
          }
          expect(out.get(1)).toEqual([a]);
          expect(out.get(2)).toEqual([b]);
        },
      ),
    );
  });

  it('answers a completed message seen again (any fragment) with duplicate', () => {
    const r = createReassembler(options());
    const frags = splitMessage(id(7), new Uint8Array(25).fill(7), 10);
    expect(frags).toHaveLength(3);
    const kinds = frags.map((f) => r.add(f).kind);
    expect(kinds).toEqual(['partial', 'partial', 'complete']);
    for (const f of frags) expect(r.add(f)).toEqual({ kind: 'duplicate' });
    // Even a fragment claiming another count is not delivered again.
    expect(r.add({ messageId: id(7), index: 0, count: 1, data: new Uint8Array(3) })).toEqual({ kind: 'duplicate' });
  });

  it('refuses a fragment whose count differs from the message it belongs to, and keeps the message', () => {
    const r = createReassembler(options());
    const [f0, f1, f2] = splitMessage(id(1), new Uint8Array(30).fill(1), 10) as [Fragment, Fragment, Fragment];
    expect(r.add(f0).kind).toBe('partial');
    const res = r.add({ ...f1, count: 4 });
    expect(res.kind).toBe('refused');
    expect(r.missing(id(1))).toEqual([1, 2]);
    expect(r.add(f1).kind).toBe('partial');
    const done = r.add(f2);
    expect(done).toEqual({ kind: 'complete', message: new Uint8Array(30).fill(1) });
  });

  it('refuses a count beyond maxMessageSize before allocating anything', () => {
    const r = createReassembler(options({ capacity: 10, maxMessageSize: 1000 }));
    // 100 fragments of 10 bytes is the most a 1000-byte limit allows.
    expect(r.add({ messageId: id(1), index: 0, count: 100, data: new Uint8Array(10) }).kind).toBe('partial');
    for (const count of [101, 1_000_000, 0xffff_ffff]) {
      const res = r.add({ messageId: id(2), index: 0, count, data: new Uint8Array(1) });
      expect(res.kind, `count ${count}`).toBe('refused');
    }
    expect(r.pending).toBe(1);
    expect(r.missing(id(2))).toBeUndefined();
  });

  it('refuses a fragment carrying more than the capacity', () => {
    const r = createReassembler(options({ capacity: 10 }));
    expect(r.add({ messageId: id(1), index: 0, count: 2, data: new Uint8Array(11) }).kind).toBe('refused');
    expect(r.pending).toBe(0);
  });

  it('refuses and forgets a message whose bytes exceed maxMessageSize', () => {
    // capacity 10, max 25: a count of 3 is allowed, but three full fragments are 30 bytes.
    const r = createReassembler(options({ capacity: 10, maxMessageSize: 25 }));
    const frags = splitMessage(id(1), new Uint8Array(30), 10);
    expect(r.add(frags[0] as Fragment).kind).toBe('partial');
    expect(r.add(frags[1] as Fragment).kind).toBe('partial');
    expect(r.add(frags[2] as Fragment).kind).toBe('refused');
    expect(r.pending).toBe(0);
    // Exactly the limit is fine.
    const ok = splitMessage(id(2), new Uint8Array(25), 10);
    const last = ok.map((f) => r.add(f)).at(-1);
    expect(last).toEqual({ kind: 'complete', message: new Uint8Array(25) });
  });

  it('sweeps incomplete sets once they have seen no fragment for longer than the timeout', () => {
    let t = 0;
    const r = createReassembler(options({ timeoutMs: 1000, now: () => t }));
    const a = splitMessage(id(1), new Uint8Array(30), 10);
    const b = splitMessage(id(2), new Uint8Array(30), 10);
    r.add(a[0] as Fragment);
    t = 500;
    r.add(b[0] as Fragment);
    t = 1000;
    expect(r.sweep()).toBe(0);
    t = 1001;
    expect(r.sweep()).toBe(1);
    expect(r.missing(id(1))).toBeUndefined();
    expect(r.missing(id(2))).toEqual([1, 2]);
    // A new fragment resets b's clock.
    t = 1400;
    r.add(b[1] as Fragment);
    t = 2300;
    expect(r.sweep()).toBe(0);
    t = 2401;
    expect(r.sweep()).toBe(1);
    expect(r.pending).toBe(0);
    // The dropped message starts again from scratch: one fragment does not complete it.
    expect(r.add(a[2] as Fragment)).toEqual({ kind: 'partial', received: 1, count: 3 });
  });

  it('evicts the oldest incomplete message when maxPending are held', () => {
    const r = createReassembler(options({ maxPending: 2 }));
    const [a, b, c] = [1, 2, 3].map((n) => splitMessage(id(n), new Uint8Array(20).fill(n), 10)) as Fragment[][];
    r.add(a?.[0] as Fragment);
    r.add(b?.[0] as Fragment);
    expect(r.pending).toBe(2);
    r.add(c?.[0] as Fragment);
    expect(r.pending).toBe(2);
    expect(r.missing(id(1))).toBeUndefined();
    expect(r.missing(id(2))).toEqual([1]);
    expect(r.missing(id(3))).toEqual([1]);
    expect(r.add(b?.[1] as Fragment)).toEqual({ kind: 'complete', message: new Uint8Array(20).fill(2) });
    expect(r.add(c?.[1] as Fragment)).toEqual({ kind: 'complete', message: new Uint8Array(20).fill(3) });
    // a lost its first fragment with the eviction.
    expect(r.add(a?.[1] as Fragment)).toEqual({ kind: 'partial', received: 1, count: 2 });
  });

  it('lists what is missing of a message in progress', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((count) =>
          fc.record({
            count: fc.constant(count),
            have: fc.uniqueArray(fc.nat({ max: count - 1 }), { maxLength: count - 1 }),
          }),
        ),
        ({ count, have }) => {
          const r = createReassembler(options({ capacity: 1, maxMessageSize: 100 }));
          const frags = splitMessage(id(9), new Uint8Array(count), 1);
          for (const i of have) r.add(frags[i] as Fragment);
          const expected = frags.map((f) => f.index).filter((i) => !have.includes(i));
          expect(r.missing(id(9))).toEqual(have.length === 0 ? undefined : expected);
        },
      ),
    );
    expect(createReassembler(options()).missing(id(1))).toBeUndefined();
  });
});
