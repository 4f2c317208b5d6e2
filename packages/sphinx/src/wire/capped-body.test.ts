import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBodyCapped, readStreamCapped } from './capped-body.js';

const stream = (chunks: number[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const n of chunks) c.enqueue(new Uint8Array(n).fill(7));
      c.close();
    },
  });

describe('readBodyCapped', () => {
  it('reads a body up to the bound, across chunks', async () => {
    const r = await readBodyCapped(new Response(stream([3, 4, 3])), 10);
    expect('bytes' in r && r.bytes.length).toBe(10);
    expect(await readBodyCapped(new Response(null), 10)).toEqual({ bytes: new Uint8Array(0) });
  });

  it('stops at the first byte over the bound, and refuses an over-long declared length unread', async () => {
    expect(await readBodyCapped(new Response(stream([6, 6, 6])), 10)).toEqual({ over: 12 });
    const declared = new Response(stream([1]), { headers: { 'content-length': '999' } });
    expect(await readBodyCapped(declared, 10)).toEqual({ over: 999 });
  });
});

describe('readStreamCapped', () => {
  async function* chunks(sizes: number[], onRead: () => void = () => {}) {
    for (const n of sizes) {
      onRead();
      yield new Uint8Array(n).fill(1);
    }
  }

  it('reads up to the bound, stops at the first chunk over it, refuses a declared length over it unread', async () => {
    const r = await readStreamCapped(chunks([3, 4, 3]), 10);
    expect('bytes' in r && r.bytes.length).toBe(10);
    let reads = 0;
    expect(
      await readStreamCapped(
        chunks([6, 6, 6, 6], () => reads++),
        10,
      ),
    ).toEqual({ over: 12 });
    expect(reads).toBe(2);
    reads = 0;
    expect(
      await readStreamCapped(
        chunks([1], () => reads++),
        10,
        11,
      ),
    ).toEqual({ over: 11 });
    expect(reads).toBe(0);
  });

  it('returns every byte when under the bound, `over` exactly when the total passes it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(50), { maxLength: 20 }), fc.nat(400), async (sizes, max) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const r = await readStreamCapped(chunks(sizes), max);
        if (total <= max) expect(r).toEqual({ bytes: new Uint8Array(total).fill(1) });
        else expect('over' in r && r.over > max).toBe(true);
      }),
    );
  });
});
