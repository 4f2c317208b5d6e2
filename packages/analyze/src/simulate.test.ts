/** The discrete-event simulator: determinism, the §1 format, routes, cover kinds, shutdown lines. */
import { describe, expect, it } from 'vitest';
import { simulate } from './simulate.js';
import { parseLine, type TraceLine } from './trace-format.js';
import { MemorySink } from './trace-sink.js';

const run = (extra = {}) => {
  const sink = new MemorySink();
  const sim = simulate({
    clients: 4,
    mu: 0.02,
    seconds: 3,
    seed: 5,
    cover: true,
    rates: { real: 5, payload: 20, loop: 5 },
    sink,
    ...extra,
  });
  return { sim, sink };
};
const lines = (sink: MemorySink) =>
  [...sink.files].filter(([n]) => n !== 'meta').flatMap(([, ls]) => ls.map((l) => parseLine(l) as TraceLine));

describe('simulate', () => {
  it('is deterministic for a seed', () => {
    const a = run().sink.files;
    const b = run().sink.files;
    const c = run({ seed: 6 }).sink.files;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('writes valid §1 lines with unique wire ids, each file in write-time order', () => {
    const { sim, sink } = run();
    expect(sink.files.get('meta')).toEqual([JSON.stringify(sim.meta)]);
    const all = lines(sink);
    expect(all.length).toBe(sim.lines - 1);
    const sent = new Set<string>();
    const received = new Set<string>();
    for (const l of all) {
      if (l.hx) {
        expect(sent.has(l.hx)).toBe(false);
        sent.add(l.hx);
      }
      if (l.hi) {
        expect(received.has(l.hi)).toBe(false);
        received.add(l.hi);
      }
    }
    for (const h of received) expect(sent.has(h)).toBe(true);
    for (const [node, ls] of sink.files) {
      if (node === 'meta') continue;
      const times = ls
        .map((l) => parseLine(l) as TraceLine)
        .filter((l) => !Number.isNaN(l.tx))
        .map((l) => l.tx);
      expect(times).toEqual([...times].sort((x, y) => x - y));
    }
  });

  it('routes every packet client → gateway → L mixes → gateway, cover to its §2.5 endpoints', () => {
    const { sim, sink } = run({ seconds: 2 });
    const all = lines(sink);
    const byWire = new Map(all.filter((l) => l.hi).map((l) => [l.hi, l]));
    let delivered = 0;
    let dropped = 0;
    for (const e of all.filter((l) => l.gk >= 0)) {
      const path: string[] = [e.n];
      let h = e.hx;
      let last: TraceLine | undefined;
      for (let next = byWire.get(h); next; next = byWire.get(h)) {
        path.push(next.n);
        last = next;
        if (!next.hx) break;
        h = next.hx;
      }
      const atExit = path.length === 6 && last?.n[0] === 'g';
      if (!last || (path.length < 7 && !atExit)) continue; // still inside at shutdown
      expect(path.slice(1, 6).map((n) => n[0])).toEqual(['g', 'm', 'm', 'm', 'g']);
      expect(path.slice(2, 5).map((n) => n.slice(0, 2))).toEqual(['m1', 'm2', 'm3']);
      if (e.gk === 2) {
        expect(path.length).toBe(6);
        expect(Number.isNaN(last.tx)).toBe(true);
        dropped++;
      } else if (path.length === 7) {
        expect(path.at(-1)).toBe(e.gk === 1 ? e.n : e.gd);
        delivered++;
      }
    }
    expect(delivered).toBeGreaterThan(10);
    expect(dropped).toBeGreaterThan(10);
    expect(sim.packets.total).toBe(sim.packets.real + sim.packets.loop + sim.packets.drop);
  });

  it('emits at the configured rates and records packets held at shutdown', () => {
    const { sim, sink } = run({ cover: false, seconds: 20, rates: { real: 10 }, mu: 0.2 });
    // 4 clients × 10/s × 20 s = 800 ± 5 sd
    expect(Math.abs(sim.packets.real - 800)).toBeLessThan(5 * Math.sqrt(800));
    const held = lines(sink).filter((l) => Number.isNaN(l.tx) && l.gk < 0 && sink.files.get(l.n) && l.n[0] !== 'c');
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((l) => l.ti <= 20e9)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => simulate({ clients: 1, recipients: 0, mu: 0.01, seconds: 1 })).toThrow(/two clients/);
    expect(() => simulate({ clients: 2, layers: 0, mu: 0.01, seconds: 1 })).toThrow(RangeError);
  });
});
