/** Label pools: exact pool averaging (§2.1, lazy scale of §5), the timing estimator (§2.4), gateway relays. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactPool, RelayPool, type Sparse, TimingPool, VecPool } from './pools.js';

const D = 4;
const oneHot = (vecs: VecPool, i: number) => {
  const v = vecs.zero();
  v[i] = 1;
  return v;
};
const sum = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);

/** Reference: explicit P(input i is still in the pool), Loopix Thm 1 recursion, no lazy scale. */
class Reference {
  inside: { label: number; p: number }[] = [];
  n = 0;
  insert(label: number) {
    this.inside.push({ label, p: 1 });
    this.n++;
  }
  depart(): number[] {
    const out = new Array<number>(D).fill(0);
    for (const x of this.inside) {
      out[x.label] = (out[x.label] as number) + x.p / this.n;
      x.p *= (this.n - 1) / this.n;
    }
    this.n--;
    if (this.n === 0) this.inside = [];
    return out;
  }
}

describe('ExactPool', () => {
  it('departures are distributions and match the Thm 1 recursion (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: D - 1 }), fc.constant(-1)), { maxLength: 200 }),
        (ops) => {
          const vecs = new VecPool(D);
          const pool = new ExactPool(vecs);
          const ref = new Reference();
          let inserted = 0;
          let out = 0;
          for (const op of ops) {
            if (op >= 0) {
              pool.insert(oneHot(vecs, op), null);
              ref.insert(op);
              inserted++;
            } else if (pool.size > 0) {
              const v = new Float64Array(D);
              pool.depart(v);
              const r = ref.depart();
              expect(sum(v)).toBeCloseTo(1, 10);
              for (let i = 0; i < D; i++) expect(v[i]).toBeCloseTo(r[i] as number, 10);
              out++;
            }
          }
          expect(pool.size).toBe(inserted - out);
        },
      ),
    );
  });

  it('renormalises the lazy scale without changing the answer (600 halvings, §5)', () => {
    const vecs = new VecPool(D);
    const pool = new ExactPool(vecs);
    const ref = new Reference();
    pool.insert(oneHot(vecs, 0), new Map([[7, 1]]));
    ref.insert(0);
    for (let k = 0; k < 600; k++) {
      pool.insert(oneHot(vecs, 1 + (k % 3)), null);
      ref.insert(1 + (k % 3));
      const v = new Float64Array(D);
      const f = pool.depart(v);
      const r = ref.depart();
      for (let i = 0; i < D; i++) expect(v[i]).toBeCloseTo(r[i] as number, 12);
      expect(sum(v)).toBeCloseTo(1, 12);
      if (k < 20) expect(f?.get(7)).toBeCloseTo(r[0] as number, 12);
    }
    // the forward label is pruned once below 1e-10 (§5)
    const v = new Float64Array(D);
    expect(pool.depart(v)).toBeNull();
  });

  it('forward mass is conserved: Σ exits + pool = 1 (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 100 }), (ops) => {
        const vecs = new VecPool(1);
        const pool = new ExactPool(vecs);
        pool.insert(null, new Map([[0, 1]]));
        let exited = 0;
        for (const arrive of ops) {
          if (arrive) pool.insert(null, null);
          else if (pool.size > 0) exited += pool.depart(new Float64Array(1))?.get(0) ?? 0;
        }
        while (pool.size > 0) exited += pool.depart(new Float64Array(1))?.get(0) ?? 0;
        expect(Math.abs(1 - exited)).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('TimingPool', () => {
  it('equals Σ v_i·e^{−(β−e_i)/m} / Σ e^{−(β−e_i)/m}, also across rebases (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: D - 1 }), fc.double({ min: 0, max: 2000, noNaN: true })), {
          minLength: 1,
          maxLength: 40,
        }),
        (arrivals) => {
          const m = 1;
          const vecs = new VecPool(D);
          const pool = new TimingPool(vecs, m);
          const sorted = [...arrivals].sort((x, y) => x[1] - y[1]);
          for (const [label, e] of sorted) pool.insert(oneHot(vecs, label), null, e);
          const beta = (sorted.at(-1)?.[1] ?? 0) + 0.5;
          const v = new Float64Array(D);
          pool.depart(v);
          const w = sorted.map(([, e]) => Math.exp(-(beta - e) / m));
          const z = w.reduce((a, b) => a + b, 0);
          for (let i = 0; i < D; i++) {
            const expected = sorted.reduce((acc, [label], j) => acc + (label === i ? (w[j] as number) : 0), 0) / z;
            expect(v[i]).toBeCloseTo(expected, 9);
          }
        },
      ),
    );
  });
});

describe('RelayPool (gateways)', () => {
  it('forwards the latest eligible arrival and takes older held ones as dropped', () => {
    const vecs = new VecPool(D);
    const relay = new RelayPool(vecs, 0);
    relay.insert(oneHot(vecs, 0), null, 10); // a drop: never leaves
    relay.insert(oneHot(vecs, 1), new Map([[3, 1]]), 20);
    relay.insert(oneHot(vecs, 2), null, 30);
    const v = new Float64Array(D);
    const f: Sparse | null = relay.depart(v, 25);
    expect(Array.from(v)).toEqual([0, 1, 0, 0]);
    expect(f?.get(3)).toBe(1);
    expect(relay.dropped).toBe(1);
    relay.depart(v, 30);
    expect(Array.from(v)).toEqual([0, 0, 1, 0]);
    expect(relay.size).toBe(0);
    expect(relay.infeasible).toBe(0);
  });

  it('is a small pool within its window, and counts departures with nothing eligible', () => {
    const vecs = new VecPool(D);
    const relay = new RelayPool(vecs, 5);
    relay.insert(oneHot(vecs, 0), null, 10);
    relay.insert(oneHot(vecs, 1), null, 12);
    const v = new Float64Array(D);
    relay.depart(v, 12);
    expect(Array.from(v)).toEqual([0.5, 0.5, 0, 0]);
    relay.depart(v, 13);
    expect(Array.from(v)).toEqual([0.5, 0.5, 0, 0]);
    relay.insert(oneHot(vecs, 3), null, 50);
    relay.depart(v, 40);
    expect(Array.from(v)).toEqual([0, 0, 0, 1]);
    expect(relay.infeasible).toBe(1);
  });
});
