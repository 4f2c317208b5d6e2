/**
 * Issue 13, item 4: the network heals, proved on real processes. A 3-layer testnet, 2 active mixes
 * per layer and 2 standby, 3 gateways, 5 s epochs; Alice sends to Bob with acks all along while two
 * mixes, then Alice's gateway, then the directory are SIGKILLed (heal.ts runs the experiment and
 * records the timeline; heal-summary.ts documents the latency rule). `mixnet bench --suite heal`
 * runs the same experiment and plots it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HealTimeline, runHealScenario } from './heal.js';
import { type FaultSummary, type HealSummary, healSummary, LATENCY_TOLERANCE } from './heal-summary.js';
import { expectEachMessageOnce, expectLatencyBack, expectMixesHealed, faultLine } from './test-support/heal-expect.js';
import { downTestnet } from './testnet.js';

const EPOCH_MS = 5_000;

describe('self-healing: mixes, a gateway and the directory killed while messages flow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-heal-'));
  let t: HealTimeline;
  let s: HealSummary;
  const fault = (kind: string) => s.faults.find((f) => f.kind === kind) as FaultSummary;

  beforeAll(async () => {
    t = await runHealScenario({ dir, epochMs: EPOCH_MS, log: (l) => process.stderr.write(`heal: ${l}\n`) });
    s = healSummary(t);
    // Kept for a look when an assertion fails (the testnet itself is already down).
    writeFileSync(join(dir, 'heal-timeline.json'), JSON.stringify(t));
    for (const f of s.faults) process.stderr.write(`heal: ${faultLine(f)}\n`);
  }, 600_000);
  afterAll(async () => {
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every message arrives exactly once', () => {
    expect(s.messages).toBeGreaterThan(6 * t.phaseMessages);
    expectEachMessageOnce(t);
  });

  it('two dead mixes are out of the active set within two epochs, the standby mixes in', () => {
    expectMixesHealed(fault('mixes'));
  });

  it('the sender moves to another gateway; the dead one is out of the active set within two epochs', () => {
    const f = fault('gateway');
    expect(f.record.timedOut).toBeUndefined();
    expect(f.epochsToHeal).toBeLessThanOrEqual(2);
    expect(f.record.activeAfter).not.toContain(f.targets[0]);
    expect(f.record.events.some((e) => e.client === 'alice' && e.type === 'gateway-changed')).toBe(true);
  });

  it('with the directory down, clients keep their last document and say so; after a restart, epochs continue', () => {
    const f = fault('directory');
    expect(f.record.timedOut).toBeUndefined();
    expect(f.record.events.some((e) => e.type === 'directory-unreachable')).toBe(true);
    const before = f.record.lastEpochBefore as NonNullable<typeof f.record.lastEpochBefore>;
    expect(f.record.firstEpochAfterRestart).toBeGreaterThan(before.epoch);
    // Its history survived the restart: the last document before the kill is served unchanged.
    expect(before.hashAfterRestart).toBe(before.hash);
    // On the same epoch grid (docs/directory.md §4: epoch e starts at genesis + e·epochMs).
    const first = t.documents.find((d) => d.epoch === before.epoch);
    const next = t.documents.find((d) => d.epoch === f.record.firstEpochAfterRestart);
    expect(((next?.validFrom ?? 0) - (first?.validFrom ?? 0)) / EPOCH_MS).toBe(
      (next?.epoch ?? 0) - (first?.epoch ?? 0),
    );
    // Traffic did not notice the outage.
    expect(f.faultMedianMs).toBeLessThanOrEqual(f.preMedianMs * LATENCY_TOLERANCE);
  });

  it(`latency is back within ${Math.round((LATENCY_TOLERANCE - 1) * 100)}% of its pre-fault median after each fault`, () => {
    for (const f of s.faults) expectLatencyBack(t, f);
  });
});
