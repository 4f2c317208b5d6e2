/** The per-peer memo of the send path (issue 16 #4). */
import { describe, expect, it } from 'vitest';
import { createBoundedCache } from './bounded-cache.js';

describe('bounded cache', () => {
  it('computes once per key, forgets the oldest past its bound, and stores nothing that threw', () => {
    const cache = createBoundedCache<number>(2);
    let calls = 0;
    const make = (v: number) => () => {
      calls++;
      return v;
    };
    expect(cache.get('a', make(1))).toBe(1);
    expect(cache.get('a', make(9))).toBe(1);
    expect(calls).toBe(1);
    cache.get('b', make(2));
    cache.get('c', make(3)); // evicts 'a'
    expect(cache.get('a', make(4))).toBe(4);
    expect(calls).toBe(4);
    expect(() =>
      cache.get('bad', () => {
        throw new Error('not a point');
      }),
    ).toThrow('not a point');
    expect(cache.get('bad', make(5))).toBe(5);
  });
});
