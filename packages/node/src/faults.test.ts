/** The fault table (faults.ts): matching, merging, expiry, the token bucket, corruption. */
import { createPacket, generateKeyPair } from '@mixnet/sphinx';
import { describe, expect, it } from 'vitest';
import {
  corruptPacket,
  createFaultTable,
  createTokenBucket,
  faultRulesBodySchema,
  mergeEffects,
  NO_EFFECT,
  ruleMatches,
} from './faults.js';
import { processOne } from './packet-processor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ruleMatches', () => {
  it('matches by peer id and direction; no peers means every link', () => {
    expect(ruleMatches({ lossRate: 1 }, undefined, 'in')).toBe(true);
    expect(ruleMatches({ lossRate: 1 }, 'mix-1-1', 'out')).toBe(true);
    expect(ruleMatches({ peers: ['mix-1-1'] }, 'mix-1-1', 'out')).toBe(true);
    expect(ruleMatches({ peers: ['mix-1-1'] }, 'mix-1-2', 'out')).toBe(false);
    expect(ruleMatches({ peers: ['mix-1-1'] }, undefined, 'out')).toBe(false);
    expect(ruleMatches({ direction: 'out' }, 'a', 'in')).toBe(false);
    expect(ruleMatches({ direction: 'in' }, 'a', 'in')).toBe(true);
    expect(ruleMatches({ direction: 'both' }, 'a', 'in')).toBe(true);
  });
});

describe('mergeEffects', () => {
  it('adds latencies, composes loss and corruption, keeps the tightest cap and any partition', () => {
    const e = mergeEffects([
      { latencyMs: 10, jitterMs: 2, lossRate: 0.5, bandwidthBps: 1000 },
      { latencyMs: 5, lossRate: 0.5, corruptRate: 0.1, bandwidthBps: 500, partition: true },
    ]);
    expect(e).toMatchObject({ latencyMs: 15, jitterMs: 2, bandwidthBps: 500, partition: true, delayed: true });
    expect(e.lossRate).toBeCloseTo(0.75);
    expect(e.corruptRate).toBeCloseTo(0.1);
    expect(mergeEffects([])).toBe(NO_EFFECT);
    expect(mergeEffects([{ lossRate: 0.1 }]).delayed).toBe(false);
  });
});

describe('fault table', () => {
  it('is inactive without rules, and merges base and live rules per peer and direction', () => {
    const t = createFaultTable();
    expect(t.active).toBe(false);
    const base = createFaultTable({ base: [{ direction: 'out', latencyMs: 40, peers: ['far'] }] });
    expect(base.active).toBe(true);
    base.set([
      { lossRate: 0.2, peers: ['far', 'near'] },
      { partition: true, direction: 'in', peers: ['near'] },
    ]);
    expect(base.effect('far', 'out')).toMatchObject({ latencyMs: 40, lossRate: 0.2, partition: false });
    expect(base.effect('far', 'in')).toMatchObject({ latencyMs: 0, lossRate: 0.2 });
    expect(base.effect('near', 'in').partition).toBe(true);
    expect(base.effect('other', 'out')).toBe(NO_EFFECT);
    base.clear();
    expect(base.rules()).toEqual([]);
    expect(base.active).toBe(true); // the base rule stays
    expect(base.effect('far', 'out').lossRate).toBe(0);
  });

  it('bumps its version on every change so links recompute', () => {
    const t = createFaultTable();
    const v0 = t.version;
    t.set([{ lossRate: 1 }]);
    expect(t.version).toBeGreaterThan(v0);
    expect(t.effect('x', 'out').lossRate).toBe(1);
    const v1 = t.version;
    t.clear();
    expect(t.version).toBeGreaterThan(v1);
    expect(t.effect('x', 'out')).toBe(NO_EFFECT);
    expect(t.active).toBe(false);
  });

  it('removes expired rules (on read, with a clock)', () => {
    let now = 1_000;
    const t = createFaultTable({ now: () => now });
    t.set([
      { id: 'short', lossRate: 1, expiresAt: 2_000 },
      { id: 'long', latencyMs: 5 },
    ]);
    expect(t.rules().map((r) => r.id)).toEqual(['short', 'long']);
    now = 2_000;
    expect(t.rules().map((r) => r.id)).toEqual(['long']);
    expect(t.effect('x', 'out').lossRate).toBe(0);
    t.close();
  });

  it('removes an expired rule by itself (timer), turning the table inactive', async () => {
    const t = createFaultTable();
    t.set([{ partition: true, expiresAt: Date.now() + 30 }]);
    expect(t.active).toBe(true);
    const deadline = Date.now() + 5_000;
    while (t.active && Date.now() < deadline) await sleep(10);
    expect(t.active).toBe(false);
    expect(t.effect('x', 'out').partition).toBe(false);
  });
});

describe('faultRulesBodySchema', () => {
  it('names the bad field', () => {
    const r = faultRulesBodySchema.safeParse({ rules: [{ lossRate: 0.1 }, { lossRate: 2 }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['rules', 1, 'lossRate']);
    const extra = faultRulesBodySchema.safeParse({ rules: [{ los: 1 }] });
    expect(extra.success).toBe(false);
    expect(faultRulesBodySchema.safeParse({ rules: [{ direction: 'sideways' }] }).error?.issues[0]?.path).toEqual([
      'rules',
      0,
      'direction',
    ]);
    const inDelay = faultRulesBodySchema.safeParse({ rules: [{ direction: 'in', lossRate: 0.1, latencyMs: 5 }] });
    expect(inDelay.error?.issues[0]?.path).toEqual(['rules', 0, 'latencyMs']);
    expect(faultRulesBodySchema.safeParse({ rules: [{ direction: 'in', partition: true }] }).success).toBe(true);
  });
});

describe('token bucket', () => {
  it('lets a burst through, then spaces frames at the rate', () => {
    const b = createTokenBucket(1_000, 100, 0); // 1000 B/s, 100 B burst
    expect(b.take(100, 0)).toBe(0);
    expect(b.take(100, 0)).toBeCloseTo(100); // waits 100 ms for 100 bytes
    expect(b.take(100, 0)).toBeCloseTo(200); // behind the one before
    // After a second the debt (200) is paid and the bucket is full again (capped at the burst).
    expect(b.take(50, 1_200)).toBe(0);
    expect(b.take(100, 1_200)).toBeCloseTo(50);
  });

  it('averages to the rate over many frames', () => {
    const b = createTokenBucket(10_000, 500, 0);
    let wait = 0;
    for (let i = 0; i < 100; i++) wait = b.take(1_000, 0);
    // 100 kB at 10 kB/s, minus the 500 B burst: the last frame leaves after 9.95 s.
    expect(wait).toBeCloseTo(9_950);
  });
});

describe('corruptPacket', () => {
  it("makes the next hop's header MAC check fail", () => {
    const hop = generateKeyPair();
    const key = { rotation: 0, ...hop };
    for (let seed = 0; seed < 40; seed++) {
      const packet = createPacket({
        route: [
          { address: new Uint8Array(32), publicKey: hop.publicKey },
          { ...generateKeyPair(), address: new Uint8Array(32) },
        ],
        delaysNs: [0n, 0n],
        destination: new Uint8Array(32),
        message: new Uint8Array(10),
      });
      expect(processOne(packet, [key]).kind).toBe('forward');
      const bad = packet.slice();
      let n = seed;
      corruptPacket(bad, () => {
        n = (n * 7919 + 13) % 1000;
        return n / 1000;
      });
      expect(bad).not.toEqual(packet);
      const out = processOne(bad, [key]);
      expect(out.kind === 'error' ? out.code : out.kind).toBe('INVALID_HEADER');
    }
  });
});
