import { describe, expect, it } from 'vitest';
import { exponential, randomBytes, uniform } from './random.js';

describe('pooled randomness', () => {
  it('never hands out the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 16-byte tags: 4 KiB pools refill about every 256 draws.
    for (let i = 0; i < 2_000; i++) {
      const b = randomBytes(16);
      expect(b.length).toBe(16);
      seen.add(Buffer.from(b).toString('hex'));
    }
    expect(seen.size).toBe(2_000);
  });

  it('a draw is a copy the pool does not touch again', () => {
    const a = randomBytes(32);
    const copy = a.slice();
    for (let i = 0; i < 600; i++) randomBytes(16);
    expect(a).toEqual(copy);
    expect(randomBytes(1_000).length).toBe(1_000);
  });

  it('uniform is in [0, 1) and spread over it', () => {
    const xs = Array.from({ length: 20_000 }, uniform);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const deciles = new Array(10).fill(0);
    for (const x of xs) deciles[Math.floor(x * 10)]++;
    for (const d of deciles) expect(d).toBeGreaterThan(1_600);
  });

  it('exponential has the mean asked for', () => {
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += exponential(15);
    expect(sum / n).toBeGreaterThan(14);
    expect(sum / n).toBeLessThan(16);
  });
});
