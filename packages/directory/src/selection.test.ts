import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './prng.js';
import { type Candidate, selectActiveSet, weightedSample, weightOf } from './selection.js';

const seedOf = (i: number) => sha256(new TextEncoder().encode(`seed-${i}`));
const mixes = (n: number, score: (i: number) => number = () => 1): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ id: `mix-${String(i).padStart(2, '0')}`, score: score(i) }));
const gateways = (n: number): Candidate[] => Array.from({ length: n }, (_, i) => ({ id: `gw-${i}`, score: 1 }));

describe('seeded random', () => {
  it('is the ChaCha20 keystream: same seed, same numbers; all in (0, 1)', () => {
    const a = createSeededRandom(seedOf(1));
    const b = createSeededRandom(seedOf(1));
    const c = createSeededRandom(seedOf(2));
    const xs = Array.from({ length: 500 }, () => a.uniform());
    expect(Array.from({ length: 500 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 500 }, () => c.uniform())).not.toEqual(xs);
    for (const x of xs) expect(x > 0 && x < 1).toBe(true);
  });
});

describe('the draw', () => {
  it('never draws a node with score 0, even when the active set is larger than the eligible ones', () => {
    for (let i = 0; i < 200; i++) {
      const ms = mixes(8, (j) => (j % 2 === 0 ? 0 : 0.5 + j / 20));
      const s = selectActiveSet({
        seed: seedOf(i),
        mixes: ms,
        gateways: [...gateways(2), { id: 'gw-dead', score: 0 }],
        layers: 3,
        activePerLayer: 3,
        activeGateways: 3,
      });
      const drawn = [...s.layers.flat(), ...s.gateways, ...s.standby];
      for (const id of drawn) expect(id).not.toMatch(/^mix-0[02468]$|gw-dead/);
      expect(s.layers.flat()).toHaveLength(4);
    }
  });

  it('is reproducible from the seed and the scores, whatever order the candidates come in', () => {
    const ms = mixes(12, (i) => 0.9 + i / 200);
    const input = { mixes: ms, gateways: gateways(4), layers: 3, activePerLayer: 2, activeGateways: 2 };
    const a = selectActiveSet({ ...input, seed: seedOf(7) });
    const b = selectActiveSet({ ...input, mixes: [...ms].reverse(), seed: seedOf(7) });
    expect(b).toEqual(a);
    const others = Array.from({ length: 10 }, (_, i) => selectActiveSet({ ...input, seed: seedOf(100 + i) }));
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a))).toBe(true);
  });

  it('fills every layer with activePerLayer distinct mixes and lists the rest as standby', () => {
    const s = selectActiveSet({
      seed: seedOf(3),
      mixes: mixes(10),
      gateways: gateways(3),
      layers: 3,
      activePerLayer: 2,
      activeGateways: 2,
    });
    expect(s.layers.map((l) => l.length)).toEqual([2, 2, 2]);
    expect(s.gateways).toHaveLength(2);
    const all = [...s.layers.flat(), ...s.gateways, ...s.standby];
    expect(new Set(all).size).toBe(13);
    expect(s.standby).toHaveLength(5);
    expect(s.standby).toEqual([...s.standby].sort());
  });

  it('deals too few mixes round-robin and keeps the previous mixes of a layer that would be empty', () => {
    const s = selectActiveSet({
      seed: seedOf(4),
      mixes: mixes(2),
      gateways: [],
      layers: 3,
      activePerLayer: 2,
      activeGateways: 2,
      previous: { layers: [['mix-00'], ['mix-01'], ['old-3', 'mix-00']], gateways: ['gw-old'] },
    });
    expect(s.layers[0]).toHaveLength(1);
    expect(s.layers[1]).toHaveLength(1);
    expect(s.layers[2]).toEqual(['old-3']); // mix-00 is placed already: no duplicate
    expect(s.gateways).toEqual(['gw-old']);
    expect(s.standby).toEqual([]);
  });

  it('draws with frequencies that follow score^20', () => {
    // Scores whose weights are 1, 1/2 and 1/8: one winner each time.
    const cs: Candidate[] = [
      { id: 'a', score: 1 },
      { id: 'b', score: 0.5 ** (1 / 20) },
      { id: 'c', score: 0.125 ** (1 / 20) },
    ];
    const total = cs.reduce((s, c) => s + weightOf(c.score), 0);
    const n = 20_000;
    const wins = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const [w] = weightedSample(cs, 1, createSeededRandom(seedOf(i)));
      wins.set(w as string, (wins.get(w as string) ?? 0) + 1);
    }
    for (const c of cs) {
      // Standard deviation ≈ 0.0035 here: a margin of 0.02 is over 5 of them.
      expect(Math.abs((wins.get(c.id) ?? 0) / n - weightOf(c.score) / total)).toBeLessThan(0.02);
    }
  });

  it('makes a slightly worse node much less likely (the ^20)', () => {
    const cs: Candidate[] = [
      { id: 'good', score: 1 },
      { id: 'lossy', score: 0.8 },
    ];
    let lossy = 0;
    for (let i = 0; i < 5_000; i++) if (weightedSample(cs, 1, createSeededRandom(seedOf(i)))[0] === 'lossy') lossy++;
    // 0.8^20 ≈ 0.0115: P(lossy) ≈ 0.0114.
    expect(lossy / 5_000).toBeLessThan(0.03);
    expect(lossy).toBeGreaterThan(0);
  });
});
