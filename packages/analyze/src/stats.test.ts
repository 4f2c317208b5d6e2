import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, quantile, quantileSorted, Sample } from './stats.js';

describe('the one quantile rule (type 7)', () => {
  it('takes the mean of the two middle values for an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, 1, 3])).toBe(3);
    expect(quantile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48, 12);
    expect(median([])).toBeNaN();
  });

  it('does not modify its input and agrees with Sample.quantile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, p) => {
          const copy = [...xs];
          const q = quantile(xs, p);
          expect(xs).toEqual(copy);
          const sorted = [...xs].sort((a, b) => a - b);
          expect(q).toBeGreaterThanOrEqual(sorted[0] as number);
          expect(q).toBeLessThanOrEqual(sorted[sorted.length - 1] as number);
          const s = new Sample(1024, 1);
          for (const x of xs) s.add(x);
          expect(s.quantile(p)).toBe(quantileSorted(Float64Array.from(sorted), p));
        },
      ),
    );
  });
});
