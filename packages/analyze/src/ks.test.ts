/** The KS test used for the delay check of §2.1/§3. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelayStats } from './delays.js';
import { kolmogorovQ, ksPValue, ksStatistic, ksTest, shiftedExpCdf } from './ks.js';
import { Rng } from './prng.js';

describe('Kolmogorov distribution', () => {
  it('matches tabulated values of Q_KS', () => {
    expect(kolmogorovQ(0.5)).toBeCloseTo(0.9639, 4);
    expect(kolmogorovQ(1.0)).toBeCloseTo(0.27, 4);
    expect(kolmogorovQ(1.224)).toBeCloseTo(0.1, 3);
    expect(kolmogorovQ(1.358)).toBeCloseTo(0.05, 3);
    expect(kolmogorovQ(1.628)).toBeCloseTo(0.01, 3);
    expect(kolmogorovQ(0)).toBe(1);
    expect(kolmogorovQ(10)).toBeLessThan(1e-80);
  });

  it('is continuous at the switch between its two series and decreasing (property)', () => {
    expect(kolmogorovQ(1.18 - 1e-9)).toBeCloseTo(kolmogorovQ(1.18 + 1e-9), 8);
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (x, dx) => {
          expect(kolmogorovQ(x + dx)).toBeLessThanOrEqual(kolmogorovQ(x) + 1e-12);
        },
      ),
    );
  });
});

describe('one-sample KS test', () => {
  it('computes D by hand for a tiny sample', () => {
    // sample {0.1, 0.5, 0.9} against U(0,1): D = max(1/3−0.1, 0.5−1/3, 2/3−0.5, 0.9−2/3, 1−0.9) = 0.2333
    expect(ksStatistic([0.1, 0.5, 0.9], (x) => x)).toBeCloseTo(0.9 - 2 / 3, 12);
  });

  it('D is in [0, 1] for any sample (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 2, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const d = ksTest(xs, (x) => Math.min(1, Math.max(0, x))).d;
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('accepts c + Exp(m) samples and rejects a wrong mean', () => {
    const rng = new Rng(7);
    const xs = Array.from({ length: 5000 }, () => 0.001 + rng.exp(0.015));
    expect(ksTest(xs, shiftedExpCdf(0.001, 0.015)).pValue).toBeGreaterThan(0.01);
    expect(ksTest(xs, shiftedExpCdf(0.001, 0.018)).pValue).toBeLessThan(1e-6);
    expect(ksPValue(0, 10)).toBe(1);
  });

  it('the delay check fits ĉ = min and m̂ = mean − ĉ', () => {
    const rng = new Rng(3);
    const stats = new DelayStats(2000, 1);
    for (let i = 0; i < 20000; i++) stats.add(Math.round((0.002 + rng.exp(0.05)) * 1e9));
    const r = stats.result(0.002, 0.05, 0.01);
    expect(r.n).toBe(20000);
    expect(r.ks.n).toBe(2000);
    expect(r.fittedC).toBeCloseTo(0.002, 4);
    expect(r.fittedM).toBeCloseTo(0.05, 2);
    expect(r.ks.accept).toBe(true);
    expect(stats.result(0.002, 0.08, 0.01).ks.accept).toBe(false);
  });
});
