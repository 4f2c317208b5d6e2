import { describe, expect, it } from 'vitest';
import { latencyFigures } from './latency.js';

describe('latency figures', () => {
  it('takes p50/p95 and a histogram over the window only', () => {
    const now = 100_000;
    const samples = [
      { at: now - 20_000, ms: 9_999 }, // outside the window
      ...Array.from({ length: 100 }, (_, i) => ({ at: now - 5_000 + i, ms: i + 1 })),
      { at: now - 1, ms: 6_000 },
    ];
    const f = latencyFigures(samples, now, 10_000, [10, 50, 100]);
    expect(f.n).toBe(101);
    expect(f.p50).toBe(51);
    expect(f.p95).toBeGreaterThan(95);
    expect(f.p95).toBeLessThan(100);
    expect(f.histogram).toEqual({ edges: [10, 50, 100], counts: [10, 40, 50, 1] });
  });

  it('gives no percentiles without samples', () => {
    expect(latencyFigures([], 1, 10_000)).toMatchObject({ n: 0, p50: null, p95: null });
  });
});
