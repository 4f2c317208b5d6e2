/**
 * Live faults on real testnets (process runtime, issue 17): a partition and 100% loss on one mix
 * are counted there while traffic through the others still arrives, clearing brings it back; the
 * admin token; pause/resume; and `--latency geo` slower than none, compared in the same run.
 * The non-loopback side of the admin auth is covered in packages/node/src/fault-admin.test.ts
 * (stub requests from another address); here every request comes from loopback.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MixnetClient } from '@mixnet/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientNetwork } from './client-network.js';
import { clearNodeFaults, getNodeFaults, pauseNode, resumeNode, setNodeFaults } from './faults.js';
import { healthOf, probe } from './health.js';
import { type ProcessEntry, paths, readState, type TestnetState } from './layout.js';
import { downTestnet, upTestnet } from './testnet.js';

const SHAPE = { layers: 2, nodesPerLayer: 2, chain: 'none', directory: false, skipSmoke: true, mu: 1 } as const;

/** A labelled counter of a node, e.g. dropped{reason="fault_loss"}. */
async function metric(p: ProcessEntry, name: string, label?: string): Promise<number> {
  const text = await (await fetch(`${p.metricsUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (label && !line.includes(label)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function selfClient(state: TestnetState): Promise<MixnetClient> {
  return createClient({
    ...clientNetwork(state),
    traffic: { cover: false, sendGapMs: 0, mu: 1, ackWaitAdditionMs: 300 },
  });
}

/** Sends `n` messages to itself; resolves with each one's latency (send → arrival) once all arrived. */
async function roundTrips(client: MixnetClient, n: number, timeoutMs = 20_000): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const tag = Math.random().toString(36).slice(2);
  const all = new Promise<void>((resolve) => {
    const off = client.onMessage((m) => {
      const key = new TextDecoder().decode(m.data);
      const at = sentAt.get(key);
      if (at === undefined) return;
      sentAt.delete(key);
      latencies.push(performance.now() - at);
      if (latencies.length === n) {
        off();
        resolve();
      }
    });
  });
  for (let i = 0; i < n; i++) {
    const key = `${tag}-${i}`;
    sentAt.set(key, performance.now());
    void client.send(client.address, new TextEncoder().encode(key)).catch(() => {});
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${n - latencies.length} of ${n} not back`)), timeoutMs);
  });
  await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
  return latencies;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('live faults on a process testnet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-faults-'));
  const geoDir = mkdtempSync(join(tmpdir(), 'mixnet-faults-geo-'));
  let state: TestnetState;
  let client: MixnetClient;
  const node = (id: string) => state.processes.find((p) => p.id === id) as ProcessEntry;

  beforeAll(async () => {
    state = await upTestnet({ dir, ...SHAPE });
    client = await selfClient(state);
  });
  afterAll(async () => {
    await client?.close({ flushMs: 0 });
    await downTestnet(dir);
    await downTestnet(geoDir);
    rmSync(dir, { recursive: true, force: true });
    rmSync(geoDir, { recursive: true, force: true });
  });

  it('partition, then 100% loss on a mix: counted there, traffic through the others arrives; clear brings it back', async () => {
    const mix = node('mix-1-1');
    const set = await setNodeFaults(dir, 'mix-1-1', [{ id: 'cut', partition: true }]);
    expect(set.rules).toEqual([{ id: 'cut', partition: true }]);
    expect(await metric(mix, 'mixnet_fault_rules')).toBe(1);
    // Half the routes (and acks) pick mix-1-1: they are dropped there and retransmitted over others.
    await roundTrips(client, 20);
    const partitioned = await metric(mix, 'mixnet_packets_dropped_total', 'reason="fault_partition"');
    expect(partitioned).toBeGreaterThan(0);

    await setNodeFaults(dir, 'mix-1-1', [{ lossRate: 1, direction: 'out' }]);
    await roundTrips(client, 20);
    expect(await metric(mix, 'mixnet_packets_dropped_total', 'reason="fault_loss"')).toBeGreaterThan(0);

    const cleared = await clearNodeFaults(dir, 'mix-1-1');
    expect(cleared.rules).toEqual([]);
    expect(await metric(mix, 'mixnet_fault_rules')).toBe(0);
    const forwarded = await metric(mix, 'mixnet_packets_forwarded_total');
    const drops = await metric(mix, 'mixnet_packets_dropped_total');
    await roundTrips(client, 20);
    expect(await metric(mix, 'mixnet_packets_forwarded_total')).toBeGreaterThan(forwarded);
    expect(await metric(mix, 'mixnet_packets_dropped_total')).toBe(drops);
  });

  it('expires a rule by itself and reports the time left', async () => {
    const r = await setNodeFaults(dir, 'mix-2-1', [{ lossRate: 0.5, expiresAt: Date.now() + 1_500 }]);
    expect(r.rules[0]?.expiresAt).toBeGreaterThan(r.now);
    const deadline = Date.now() + 10_000;
    while ((await getNodeFaults(dir, 'mix-2-1')).rules.length > 0 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 100));
    expect((await getNodeFaults(dir, 'mix-2-1')).rules).toEqual([]);
  });

  it('takes the testnet token (0600), refuses a wrong one, and names a bad field', async () => {
    const tokenFile = readState(dir)?.nodeAdminTokenFile as string;
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(paths(dir).keys('mix-1-1'), 'admin.token')).mode & 0o777).toBe(0o600);
    const url = `${node('gateway-1').metricsUrl}/admin/faults`;
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token.slice(2)}ff` } })).status).toBe(401);
    await expect(setNodeFaults(dir, 'mix-1-2', [{ lossRate: 3 }])).rejects.toThrow(/rules\.0\.lossRate/);
    await expect(setNodeFaults(dir, 'mix-9-9', [])).rejects.toThrow(/no process "mix-9-9"/);
  });

  it('pause freezes a mix (traffic goes around it), resume brings it back', async () => {
    const mix = node('mix-2-2');
    await pauseNode(dir, 'mix-2-2');
    try {
      expect(readFileSync(`/proc/${mix.pid}/stat`, 'utf8').split(' ')[2]).toBe('T');
      expect(await probe(mix)).toBe(false);
      expect(await healthOf(mix)).toBe('paused');
      await roundTrips(client, 10);
    } finally {
      await resumeNode(dir, 'mix-2-2');
    }
    expect(await probe(mix)).toBe(true);
    expect(await healthOf(mix)).toBe('up');
  });

  it('--latency geo: every link carries its regions’ delay, end-to-end latency well above none', async () => {
    const geoState = await upTestnet({ dir: geoDir, ...SHAPE, latency: 'geo' });
    const geoClient = await selfClient(geoState);
    try {
      const base = await getNodeFaults(geoDir, 'mix-1-1');
      expect(base.base.length).toBeGreaterThan(0);
      expect(base.base.every((r) => r.direction === 'out' && (r.latencyMs ?? 0) > 0)).toBe(true);
      expect(geoState.processes.find((p) => p.id === 'mix-1-2')?.region).toBe('us-west');
      await roundTrips(geoClient, 1); // the client's connection set-up is not part of the comparison
      // One message at a time, alternating, so both networks see the same machine load.
      const none: number[] = [];
      const geo: number[] = [];
      for (let i = 0; i < 10; i++) {
        none.push(...(await roundTrips(client, 1)));
        geo.push(...(await roundTrips(geoClient, 1)));
      }
      console.info(`median latency: none ${median(none).toFixed(1)} ms, geo ${median(geo).toFixed(1)} ms`);
      // Every route of this layout crosses at least 73 ms of one-way delay (geo.ts); 30 of it as margin.
      expect(median(geo)).toBeGreaterThan(median(none) + 30);
      // A delay is never cut short (load only adds to it).
      expect(Math.min(...geo)).toBeGreaterThanOrEqual(73);
    } finally {
      await geoClient.close({ flushMs: 0 });
    }
  });
});
