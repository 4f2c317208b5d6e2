import { describe, expect, it } from 'vitest';
import { readBodyCapped } from './capped-body.js';

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
