/**
 * Runs with epochs (a directory changes the active set and μ): exits are found by the next hop, not by
 * the header's layers, and the meta `epochs` split the figures per epoch.
 */
import { describe, expect, it } from 'vitest';
import { analyzeSources } from './analyze.js';
import { simulate } from './simulate.js';
import { type MetaHeader, TraceError, validateMeta } from './trace-format.js';
import { memorySource } from './trace-reader.js';
import { MemorySink } from './trace-sink.js';

const MU = 0.02;

function sim() {
  const sink = new MemorySink();
  const r = simulate({
    clients: 8,
    layers: 3,
    width: 2,
    mu: MU,
    seconds: 12,
    seed: 3,
    cover: true,
    rates: { real: 4, payload: 40, loop: 4 },
    sink,
  });
  const nodes = [...sink.files].filter(([n]) => n !== 'meta').map(([n, ls]) => memorySource(n, ls));
  return { meta: r.meta, nodes };
}

const withMeta = (nodes: ReturnType<typeof memorySource>[], meta: object) => [
  memorySource('meta', [JSON.stringify(meta)]),
  ...nodes,
];

describe('runs with epochs', () => {
  it('finds exits by the next hop: shuffling the header’s layers changes nothing', async () => {
    const { meta, nodes } = sim();
    const base = await analyzeSources(withMeta(nodes, meta), { forwardSample: 0.3 });
    // The same mixes listed under other layers (as a directory reshuffles them each epoch).
    const all = meta.layers.flat();
    const shuffled = { ...meta, layers: [all.slice(0, 1), all.slice(1, 5), all.slice(5)] };
    const moved = await analyzeSources(withMeta(nodes, shuffled), { forwardSample: 0.3 });
    expect(base.hOut.n).toBeGreaterThan(50);
    expect(moved.hOut.n).toBe(base.hOut.n);
    expect(moved.hOut.mean).toBeCloseTo(base.hOut.mean, 9);
    expect(moved.forward.residual.max).toBeLessThan(1e-6);
  });

  it('splits H_out, degree and latency by epoch', async () => {
    const { meta, nodes } = sim();
    const t0 = meta.t_start ?? 0;
    const epochs = [0, 1, 2].map((e) => ({
      epoch: 7 + e,
      from: t0 + 4 * e,
      until: t0 + 4 * (e + 1),
      mean_delay: MU,
      layers: e === 1 ? meta.layers.map((l) => l.slice(0, 1)) : meta.layers,
    }));
    const r = await analyzeSources(withMeta(nodes, { ...meta, epochs }), { forwardSample: 0.5, settle: 0.2 });
    const per = r.epochs ?? [];
    expect(per.map((e) => e.epoch)).toEqual([7, 8, 9]);
    expect(per.map((e) => e.width)).toEqual([2, 1, 2]);
    // the first epoch loses its warm-up, the last its drain, the middle one neither
    const middle = per[1] as (typeof per)[number];
    expect(middle.hOut.n).toBeGreaterThan(20);
    expect(middle.latency.n).toBeGreaterThan(50);
    // a stationary run: each epoch near the whole run's figure
    expect(Math.abs(middle.hOut.mean - r.hOut.mean)).toBeLessThan(0.5);
    expect(middle.degree.n).toBeGreaterThan(0);
    // 3 mix hops of Exp(20 ms) plus processing: the median near 3·ln2·20 ms + … well under 200 ms
    expect(middle.latency.p50).toBeGreaterThan(20);
    expect(middle.latency.p50).toBeLessThan(200);
    expect(middle.latency.p95).toBeGreaterThan(middle.latency.p50);
    expect(middle.delays.fittedMMs).toBeGreaterThan(15);
    expect(middle.delays.fittedMMs).toBeLessThan(25);
    // offered: 8 clients × (40 + 4) packets/s
    expect(middle.offeredPerSecond).toBeGreaterThan(8 * 44 * 0.8);
    expect(middle.offeredPerSecond).toBeLessThan(8 * 44 * 1.2);
    // the buckets never count more targets than the whole run has
    expect(per.reduce((n, e) => n + e.hOut.n, 0)).toBeLessThanOrEqual(r.targets.forward + middle.hOut.n * 2);
  });

  it('validates the header’s epochs, naming the field', () => {
    const { meta } = sim();
    const bad = (epochs: unknown) => () => validateMeta({ ...(meta as MetaHeader), epochs } as never);
    expect(bad([{ epoch: 0, from: 2, until: 1, mean_delay: 0.01, layers: [] }])).toThrow(/from <= until/);
    expect(bad([{ epoch: 0, from: 0, until: 1, mean_delay: 0.01, layers: [['nobody']] }])).toThrow(
      /epochs\[0\]\.layers\[0\]: "nobody"/,
    );
    expect(
      bad([
        { epoch: 1, from: 5, until: 6, mean_delay: 0.01, layers: [] },
        { epoch: 2, from: 1, until: 2, mean_delay: 0.01, layers: [] },
      ]),
    ).toThrow(TraceError);
  });
});
