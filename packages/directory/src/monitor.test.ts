import type { TopologyGateway, TopologyNode } from '@mixnet/sphinx/wire';
import { describe, expect, it } from 'vitest';
import { createMonitor, type MonitorTarget, type ProbeRoute, packetsPerTarget, planRound } from './monitor.js';
import { createScoreBook, scoreOf } from './scores.js';

const node = (id: string): TopologyNode => ({
  id,
  address: '127.0.0.1:1',
  sphinxKey: '0'.repeat(64),
  identityKey: '0'.repeat(64),
});
const mix = (id: string): MonitorTarget => ({ id, role: 'mix', node: node(id) });
const gw = (id: string): MonitorTarget => ({
  id,
  role: 'gateway',
  node: { ...node(id), clientUrl: 'ws://127.0.0.1:2' } as TopologyGateway,
});
const network = (): MonitorTarget[] => [...['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'].map(mix), gw('g1'), gw('g2')];
const hops = (r: ProbeRoute) => [...r.mixes.map((m) => m.id), r.gateway.id];

describe('scores (docs/directory.md §3)', () => {
  it('is delivered ÷ sent over the window, 1 before any round, 0 when the latest round delivered none', () => {
    expect(scoreOf(undefined)).toBe(1);
    expect(
      scoreOf([
        { sent: 4, delivered: 4 },
        { sent: 4, delivered: 2 },
      ]),
    ).toBe(0.75);
    expect(
      scoreOf([
        { sent: 4, delivered: 4 },
        { sent: 4, delivered: 0 },
      ]),
    ).toBe(0);
    const book = createScoreBook({ window: 2 });
    expect(book.tested('a')).toBe(false);
    book.record('a', { sent: 4, delivered: 0 });
    book.record('a', { sent: 4, delivered: 4 });
    expect(book.score('a')).toBe(0.5);
    book.record('a', { sent: 4, delivered: 2 }); // the first round falls out of the window
    expect(book.score('a')).toBe(0.75);
    expect(book.windows().a).toHaveLength(2);
  });
});

describe('probe routes', () => {
  it('puts each tested mix once in a route of one mix per layer, rotating its position, ending at a gateway', () => {
    const routes = planRound({
      targets: network(),
      scoreOf: () => 1,
      layers: 3,
      packetsPerNode: 3,
      random: Math.random,
    });
    expect(routes).toHaveLength(9 * 3);
    for (const t of ['m1', 'm4', 'm7']) {
      const mine = routes.filter((r) => r.target === t);
      expect(mine.map((r) => r.mixes.findIndex((m) => m.id === t))).toEqual([0, 1, 2]);
      for (const r of mine) {
        expect(r.mixes).toHaveLength(3);
        expect(new Set(r.mixes.map((m) => m.id)).size).toBe(3);
        expect(['g1', 'g2']).toContain(r.gateway.id);
      }
    }
    for (const r of routes.filter((x) => x.target === 'g2')) {
      expect(r.gateway.id).toBe('g2');
      expect(r.mixes.every((m) => m.id.startsWith('m'))).toBe(true);
    }
  });

  it('builds the other hops from the best-scoring nodes: a node that scored 0 is not a companion', () => {
    const scores: Record<string, number> = { m2: 0, g1: 0, m3: 0.5 };
    const routes = planRound({
      targets: network(),
      scoreOf: (id) => scores[id] ?? 1,
      layers: 3,
      packetsPerNode: 4,
      random: Math.random,
    });
    for (const r of routes) {
      const others = hops(r).filter((h) => h !== r.target);
      expect(others).not.toContain('m2');
      expect(others).not.toContain('g1');
      expect(others).not.toContain('m3'); // 0.5 is below 0.9 × the best
    }
    // Nodes that scored 0 are still tested.
    expect(routes.filter((r) => r.target === 'm2')).toHaveLength(4);
    expect(routes.filter((r) => r.target === 'g1')).toHaveLength(4);
  });

  it('tests nothing it cannot route: no gateway, no mixes', () => {
    expect(
      planRound({
        targets: [mix('m1'), mix('m2')],
        scoreOf: () => 1,
        layers: 3,
        packetsPerNode: 2,
        random: Math.random,
      }),
    ).toEqual([]);
    expect(
      planRound({ targets: [gw('g1')], scoreOf: () => 1, layers: 3, packetsPerNode: 2, random: Math.random }),
    ).toEqual([]);
  });
});

describe('monitor rounds', () => {
  it('scores a dead node 0 after one round while its companions keep a positive score', async () => {
    const dead = new Set(['m3']);
    const scores = createScoreBook({ window: 6 });
    const monitor = createMonitor({
      layers: 3,
      packetsPerNode: 4,
      timeoutMs: 100,
      scores,
      probe: async (r) => !hops(r).some((h) => dead.has(h)),
    });
    await monitor.runRound(network());
    expect(scores.score('m3')).toBe(0);
    // Some companions met m3 in this first round (every score was 1), but rarely all 4 of a node's probes.
    await monitor.runRound(network());
    for (const t of network()) if (t.id !== 'm3') expect(scores.score(t.id)).toBeGreaterThan(0);
    // From the second round on, m3 is no companion: the others' latest rounds are all delivered.
    const summary = await monitor.runRound(network());
    for (const [id, r] of summary.results) if (id !== 'm3') expect(r.delivered).toBe(r.sent);
  });

  it('counts a probe that rejects as not delivered, and does not overlap rounds', async () => {
    const scores = createScoreBook({ window: 6 });
    let calls = 0;
    const monitor = createMonitor({
      layers: 1,
      packetsPerNode: 2,
      timeoutMs: 100,
      scores,
      probe: async (r) => {
        calls++;
        await new Promise((res) => setTimeout(res, 20));
        if (r.target === 'm1') throw new Error('boom');
        return true;
      },
    });
    const targets = [mix('m1'), mix('m2'), gw('g1')];
    const [a, b] = await Promise.all([monitor.runRound(targets), monitor.runRound(targets)]);
    expect(a).toBe(b);
    expect(calls).toBe(6);
    expect(scores.score('m1')).toBe(0);
    expect(scores.score('m2')).toBe(1);
  });

  it('does not record a round cut short by stop()', async () => {
    const scores = createScoreBook({ window: 6 });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const monitor = createMonitor({
      layers: 1,
      packetsPerNode: 1,
      timeoutMs: 100,
      scores,
      probe: async () => {
        await gate;
        return false; // what a closed probe client answers
      },
    });
    const round = monitor.runRound([mix('m1'), gw('g1')]);
    monitor.stop();
    release();
    await round;
    expect(scores.tested('m1')).toBe(false);
    expect(scores.score('m1')).toBe(1);
  });
});

describe('a strict probe budget (issue 16: the load stops growing with the network)', () => {
  const many = (): MonitorTarget[] => [...Array.from({ length: 10 }, (_, i) => mix(`m${i}`)), gw('g1'), gw('g2')];

  /** A monitor whose probes all succeed and report their target. */
  const recording = (budget: number, strict: boolean, onProbe: (target: string) => void) =>
    createMonitor({
      layers: 3,
      packetsPerNode: 4,
      timeoutMs: 100,
      probe: async (r) => {
        onProbe(r.target);
        return true;
      },
      scores: createScoreBook({ window: 6 }),
      budget: () => budget,
      strictBudget: () => strict,
    });

  it('tests only the budget per round, those untested longest first, every node within ceil(n / b) rounds', async () => {
    const targets = many();
    const sent: string[][] = [];
    let round: string[] = [];
    const monitor = recording(5, true, (t) => round.push(t));
    for (let i = 0; i < 6; i++) {
      round = [];
      const summary = await monitor.runRound(targets);
      expect(summary.sent).toBe(5);
      sent.push(round);
    }
    for (const r of sent) expect(new Set(r).size).toBe(5); // one packet per tested node
    // 12 nodes, 5 a round: each one within every 3 consecutive rounds, and no node twice before all once.
    for (let i = 0; i + 3 <= sent.length; i++)
      expect(new Set(sent.slice(i, i + 3).flat())).toEqual(new Set(targets.map((t) => t.id)));
    expect(new Set([...(sent[0] ?? []), ...(sent[1] ?? [])]).size).toBe(10);
  });

  it('off (the default), or with the budget above the nodes: every node every round', async () => {
    for (const strict of [false, true]) {
      const targets = many();
      const tested = new Set<string>();
      const monitor = recording(strict ? 24 : 5, strict, (t) => tested.add(t));
      const summary = await monitor.runRound(targets);
      expect(tested.size).toBe(targets.length);
      expect(summary.sent).toBe(strict ? 24 : 12);
    }
  });
});

describe('planning a round', () => {
  it('reads each node score once, however many pools rank it (issue 16)', () => {
    const targets = [...Array.from({ length: 12 }, (_, i) => mix(`m${i}`)), gw('g1'), gw('g2')];
    const reads = new Map<string, number>();
    const routes = planRound({
      targets,
      scoreOf: (id) => {
        reads.set(id, (reads.get(id) ?? 0) + 1);
        return id === 'm3' ? 0 : 1;
      },
      layers: 3,
      packetsPerNode: 2,
      random: Math.random,
    });
    expect(routes).toHaveLength(targets.length * 2);
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
    // The scores still steer the pools: a node scoring 0 is no companion.
    for (const r of routes) if (r.target !== 'm3') expect(r.mixes.map((m) => m.id)).not.toContain('m3');
  });
});

describe('probe budget (issue 16: a fixed test load per epoch)', () => {
  it('shares the budget out per node, at least one packet each and at most packetsPerNode', () => {
    expect(packetsPerTarget(10, 4)).toBe(4);
    expect(packetsPerTarget(10, 4, 100)).toBe(4);
    expect(packetsPerTarget(50, 4, 100)).toBe(2);
    expect(packetsPerTarget(170, 4, 100)).toBe(1);
    expect(packetsPerTarget(0, 4, 100)).toBe(4);
  });

  it('tests every node within the round whatever the budget, in every layer position over rounds', () => {
    const targets = Array.from({ length: 60 }, (_, i) => mix(`m${i}`)).concat([gw('g1'), gw('g2')]);
    const positions = new Map<string, Set<number>>();
    for (let round = 0; round < 40; round++) {
      const routes = planRound({
        targets,
        scoreOf: () => 1,
        layers: 3,
        packetsPerNode: 4,
        budget: 10,
        random: Math.random,
      });
      expect(routes).toHaveLength(targets.length); // 1 each: the budget is under one per node
      expect(new Set(routes.map((r) => r.target))).toEqual(new Set(targets.map((t) => t.id)));
      for (const r of routes.filter((x) => x.target.startsWith('m'))) {
        const at = r.mixes.findIndex((m) => m.id === r.target);
        positions.set(r.target, (positions.get(r.target) ?? new Set()).add(at));
      }
    }
    // With one packet a round, the first position is random: not always layer 1.
    for (const seen of positions.values()) expect(seen.size).toBeGreaterThan(1);
  });

  it('spaces a round’s probes over spreadMs instead of sending them at once', async () => {
    const sentAt: number[] = [];
    const monitor = createMonitor({
      layers: 3,
      packetsPerNode: 1,
      timeoutMs: 100,
      scores: createScoreBook({ window: 6 }),
      spreadMs: () => 400,
      probe: async () => {
        sentAt.push(performance.now());
        return true;
      },
    });
    const t0 = performance.now();
    const summary = await monitor.runRound(network());
    expect(summary.sent).toBe(9);
    // The last of 9 leaves at 8/9 of the spread; in one burst all would leave at once.
    expect(Math.max(...sentAt) - t0).toBeGreaterThanOrEqual(300);
    expect(Math.min(...sentAt) - t0).toBeLessThan(300);
  });

  it('with one packet a round, one lost packet is not yet an outage; two rounds in a row are', () => {
    expect(
      scoreOf([
        { sent: 1, delivered: 1 },
        { sent: 1, delivered: 0 },
      ]),
    ).toBe(0.5);
    expect(
      scoreOf([
        { sent: 1, delivered: 0 },
        { sent: 1, delivered: 0 },
      ]),
    ).toBe(0);
    expect(scoreOf([{ sent: 1, delivered: 0 }])).toBe(0); // nothing delivered yet
    expect(
      scoreOf([
        { sent: 1, delivered: 1 },
        { sent: 2, delivered: 0 },
      ]),
    ).toBe(0);
  });
});
