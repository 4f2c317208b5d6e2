/**
 * The collector on a fake state folder: a real directory stand-in and real metrics servers on
 * loopback, named only by state.json, as a running testnet's would be.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState, type TestnetState, writeState } from '@mixnet/testnet';
import { afterEach, describe, expect, it } from 'vitest';
import { createCollector } from './collector.js';
import { type FakeTestnet, startFakeTestnet } from './test-support/fake-testnet.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(): Promise<FakeTestnet> {
  const t = await startFakeTestnet();
  cleanup.push(() => t.close());
  return t;
}

describe('collector', () => {
  it('reads the state folder: relays with rates, drops, queue, status, score, faults, and the epoch', async () => {
    const { dir, m1, m2 } = await setup();
    const collector = createCollector({ stateDir: dir });
    const first = await collector.collect();
    expect(first.nodes.map((n) => n.id)).toEqual(['mix-1-1', 'mix-1-2', 'gateway-1']);
    expect(first.nodes[0]?.rates.inPerSec).toBe(0);
    expect(first.epoch?.epoch).toBe(7);
    expect(first.epoch?.countdownMs).toBeGreaterThan(10_000);
    expect(first.epoch?.countdownMs).toBeLessThanOrEqual(12_000);

    m1.received = 500;
    m1.drops = { replay: 4 };
    await new Promise((r) => setTimeout(r, 250));
    const second = await collector.collect();
    const [a, b, g] = second.nodes;
    expect(a).toMatchObject({ status: 'active', layer: 1, score: 0.98, faults: [{ id: 'slow', latencyMs: 200 }] });
    expect(a?.counters).toMatchObject({ packetsIn: 500, packetsOut: 500, drops: { replay: 4 }, queue: 3 });
    // 500 packets between the two scrapes: the rate is 500 over the time between them.
    const expected = 500 / ((second.at - first.at) / 1000);
    expect(a?.rates.inPerSec).toBeGreaterThan(expected * 0.5);
    expect(a?.rates.inPerSec).toBeLessThan(expected * 2);
    expect(a?.rates.dropsPerSec).toBeGreaterThan(0);
    expect(b).toMatchObject({ status: 'standby', score: 0.5 });
    expect(b?.faults).toBeUndefined();
    expect(g).toMatchObject({ role: 'gateway', status: 'active', faults: [] });
    // A node without the fault API is not asked again on every tick.
    expect(m2.faultCalls).toBe(1);
  });

  it("sends the testnet's admin token to the fault API (needed from outside a container)", async () => {
    const { dir, m1 } = await setup();
    m1.token = 'secret-token';
    expect((await createCollector({ stateDir: dir }).collect()).nodes[0]?.faults).toBeUndefined();
    const tokenFile = join(dir, 'node-admin.token');
    writeFileSync(tokenFile, 'secret-token\n', { mode: 0o600 });
    writeState(dir, { ...(readState(dir) as TestnetState), nodeAdminTokenFile: tokenFile } as TestnetState);
    expect((await createCollector({ stateDir: dir }).collect()).nodes[0]?.faults).toEqual([
      { id: 'slow', latencyMs: 200, peers: ['mix-2-1'] },
    ]);
  });

  it('shows a relay whose metrics stop answering as down, at once', async () => {
    const { dir, m2 } = await setup();
    const collector = createCollector({ stateDir: dir, timeoutMs: 500 });
    expect((await collector.collect()).nodes[1]?.status).toBe('standby');
    await m2.close();
    const after = await collector.collect();
    expect(after.nodes[1]).toMatchObject({ id: 'mix-1-2', status: 'down', counters: null });
  });

  it('keeps working when the directory is gone, and says so', async () => {
    const { dir, directory } = await setup();
    await directory.close();
    const snap = await createCollector({ stateDir: dir, timeoutMs: 500 }).collect();
    expect(snap.directoryError).toMatch(/unreachable/);
    expect(snap.epoch).toBeNull();
    expect(snap.nodes[0]?.counters).not.toBeNull();
  });

  it('reports a folder without a testnet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mixnet-dash-empty-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const snap = await createCollector({ stateDir: dir }).collect();
    expect(snap.error).toMatch(/no testnet/);
    expect(snap.nodes).toEqual([]);
  });
});
