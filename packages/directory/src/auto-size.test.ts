import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AutoSizeError, type AutoSizeInput, planActiveSet, predictedEntropy } from './auto-size.js';

type InputsOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

const base: AutoSizeInput = {
  rates: [1000, 1000, 1000],
  target: 6,
  layers: 3,
  available: 24,
  minWidth: 1,
  maxWidth: 8,
  muBounds: { minMs: 2, maxMs: 200 },
};

describe('predictedEntropy', () => {
  it('is log2(e·λ·μ) (ANONYMITY.md §4: 2.44 / 3.77 / 5.77 bits at λμ = 2 / 5 / 20)', () => {
    expect(predictedEntropy(100, 20)).toBeCloseTo(2.44, 1);
    expect(predictedEntropy(100, 50)).toBeCloseTo(3.77, 1);
    expect(predictedEntropy(100, 200)).toBeCloseTo(5.77, 1);
    expect(predictedEntropy(0, 20)).toBe(0);
    expect(predictedEntropy(1, 0.1)).toBe(0);
  });
});

describe('planActiveSet', () => {
  it('solves μ = w·2^T/(e·Λ) at the least width when traffic is low', () => {
    // 2^6 · 1000 / (e · 1000) = 23.54… ms, rounded up to 23.6.
    const p = planActiveSet(base);
    expect(p).toMatchObject({ width: 1, muMs: 23.6, reason: 'target', rate: 1000 });
    expect(p.predictedBits).toBeGreaterThanOrEqual(6);
    expect(p.predictedBits).toBeLessThan(6.01);
  });

  it('at μ floor, takes the widest width that still holds the target (ties → throughput)', () => {
    // Λ = 50,000/s: μ_w = w · 0.471 ms, under 2 ms up to w = 4.
    const p = planActiveSet({ ...base, rates: [50_000, 50_000, 50_000] });
    expect(p).toMatchObject({ width: 4, muMs: 2, reason: 'floor' });
    expect(p.predictedBits).toBeGreaterThanOrEqual(6);
    expect(predictedEntropy(50_000 / 5, 2)).toBeLessThan(6);
  });

  it('uses the least loaded layer', () => {
    expect(planActiveSet({ ...base, rates: [5000, 1000, 5000] }).muMs).toBe(23.6);
  });

  it('without traffic, or too little, says infeasible and uses the largest μ', () => {
    expect(planActiveSet({ ...base, rates: [0, 0, 0] })).toMatchObject({
      width: 1,
      muMs: 200,
      predictedBits: 0,
      reason: 'infeasible',
    });
    const p = planActiveSet({ ...base, rates: [50, 50, 50] });
    expect(p).toMatchObject({ muMs: 200, reason: 'infeasible' });
    expect(p.predictedBits).toBeLessThan(6);
  });

  it('never plans more width than the eligible mixes allow', () => {
    const p = planActiveSet({ ...base, rates: [1e6, 1e6, 1e6], available: 7 });
    expect(p.width).toBe(2);
    expect(planActiveSet({ ...base, minWidth: 3, available: 4 }).width).toBe(1);
  });

  it('names the bad field', () => {
    expect(() => planActiveSet({ ...base, rates: [1, 2] })).toThrow(/rates must have one entry per layer/);
    expect(() => planActiveSet({ ...base, rates: [1, Number.NaN, 1] })).toThrow(AutoSizeError);
    expect(() => planActiveSet({ ...base, maxWidth: 0 })).toThrow(/maxWidth/);
    expect(() => planActiveSet({ ...base, muBounds: { minMs: 5, maxMs: 1 } })).toThrow(/muBounds.maxMs/);
    expect(() => planActiveSet({ ...base, target: -1 })).toThrow(/target/);
    expect(() => planActiveSet({ ...base, target: 0 })).toThrow(/target must be above 0/);
  });

  const inputs = fc.record({
    layers: fc.integer({ min: 1, max: 4 }),
    rate: fc.double({ min: 0, max: 1e6, noNaN: true }),
    target: fc.double({ min: 0.1, max: 14, noNaN: true }),
    available: fc.integer({ min: 0, max: 200 }),
    minWidth: fc.integer({ min: 1, max: 8 }),
    extraWidth: fc.integer({ min: 0, max: 40 }),
    minMs: fc.double({ min: 0, max: 50, noNaN: true }),
    spanMs: fc.double({ min: 0.1, max: 2000, noNaN: true }),
  });
  const toInput = (x: InputsOf<typeof inputs>, rate = x.rate): AutoSizeInput => ({
    rates: Array.from({ length: x.layers }, () => rate),
    target: x.target,
    layers: x.layers,
    available: x.available,
    minWidth: x.minWidth,
    maxWidth: x.minWidth + x.extraWidth,
    muBounds: { minMs: x.minMs, maxMs: x.minMs + x.spanMs },
  });

  it('property: more traffic never raises μ nor narrows the set', () => {
    fc.assert(
      fc.property(inputs, fc.double({ min: 1, max: 100, noNaN: true }), (x, factor) => {
        const low = planActiveSet(toInput(x));
        const high = planActiveSet(toInput(x, x.rate * factor));
        expect(high.muMs).toBeLessThanOrEqual(low.muMs);
        expect(high.width).toBeGreaterThanOrEqual(low.width);
      }),
    );
  });

  it('property: feasible → predicted ≥ target within bounds; infeasible → max μ at the least width', () => {
    fc.assert(
      fc.property(inputs, (x) => {
        const i = toInput(x);
        const p = planActiveSet(i);
        expect(p.muMs).toBeGreaterThanOrEqual(i.muBounds.minMs - 1e-9);
        expect(p.muMs).toBeLessThanOrEqual(i.muBounds.maxMs + 0.1);
        expect(p.width).toBeGreaterThanOrEqual(1);
        expect(p.width).toBeLessThanOrEqual(i.maxWidth);
        if (p.reason === 'infeasible') {
          expect(p.muMs).toBe(i.muBounds.maxMs);
          // Even one more step of width or μ would not help: the least width was tried.
          expect(predictedEntropy(x.rate / p.width, i.muBounds.maxMs)).toBeLessThan(i.target);
        } else {
          expect(p.predictedBits).toBeGreaterThanOrEqual(i.target - 1e-9);
          // The least latency: 0.1 ms less (above the floor) would miss the target at this width.
          if (p.reason === 'target') expect(predictedEntropy(x.rate / p.width, p.muMs - 0.1)).toBeLessThan(i.target);
          // Ties go to width: one more mix per layer would miss the target at the same μ.
          if (p.reason === 'floor' && p.width < Math.min(i.maxWidth, Math.floor(i.available / i.layers)))
            expect(predictedEntropy(x.rate / (p.width + 1), p.muMs)).toBeLessThan(i.target + 1e-9);
        }
      }),
    );
  });
});
