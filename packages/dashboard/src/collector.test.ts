/**
 * The collector on a fake state folder: a real directory stand-in and real metrics servers on
 * loopback, named only by state.json, as a running testnet's would be.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestnetState, writeState } from '@mixnet/testnet';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDirectory, startFakeDirectory } from '../../../testnet/src/test-support/fake-directory.js';
import { createCollector } from './collector.js';

interface FakeNode {
  url: string;
  received: number;
  drops: Record<string, number>;
  /** undefined: GET /admin/faults answers 404 (a node without the fault API). */
  faults?: unknown[];
  faultCalls: number;
  close(): Promise<void>;
}

async function fakeNode(faults?: unknown[]): Promise<FakeNode> {
  const node = { received: 0, drops: {} as Record<string, number>, faults, faultCalls: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      const drops = Object.entries(node.drops).map(([r, v]) => `mixnet_packets_dropped_total{reason="${r}"} ${v}`);
      res.end(
        [
          '# TYPE mixnet_packets_received_total counter',
          `mixnet_packets_received_total ${node.received}`,
          `mixnet_packets_forwarded_total ${node.received}`,
          ...drops,
          'mixnet_scheduler_depth 3',
        ].join('\n'),
      );
    } else if (req.url === '/admin/faults') {
      node.faultCalls++;
      if (node.faults === undefined) res.writeHead(404).end();
      else res.end(JSON.stringify({ rules: node.faults, now: Date.now() }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return Object.assign(node, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-dash-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const directory: FakeDirectory = await startFakeDirectory();
  cleanup.push(() => directory.close());
  const rule = { id: 'slow', latencyMs: 200, peers: ['mix-2-1'] };
  const nodes = [await fakeNode([rule]), await fakeNode(), await fakeNode([])];
  for (const n of nodes) cleanup.push(() => n.close());
  const [m1, m2, gw] = nodes as [FakeNode, FakeNode, FakeNode];
  const state: TestnetState = {
    version: 1,
    runtime: 'process',
    createdAt: new Date().toISOString(),
    layers: 1,
    nodesPerLayer: 1,
    epochMs: 20_000,
    mu: 15,
    topologyPath: join(dir, 'topology.json'),
    directory: { url: directory.url, publicKey: directory.publicKey },
    processes: [
      { id: 'directory', role: 'directory', metricsUrl: directory.url, logPath: join(dir, 'd.log') },
      { id: 'mix-1-1', role: 'mix', layer: 1, metricsUrl: m1.url, logPath: join(dir, 'a.log') },
      { id: 'mix-1-2', role: 'mix', layer: 1, metricsUrl: m2.url, logPath: join(dir, 'b.log') },
      { id: 'gateway-1', role: 'gateway', metricsUrl: gw.url, logPath: join(dir, 'g.log') },
    ],
  };
  writeState(dir, state);
  directory.nodes = [
    { id: 'mix-1-1', state: 'active', score: 0.98, layer: 1 },
    { id: 'mix-1-2', state: 'standby', score: 0.5 },
    { id: 'gateway-1', state: 'active', score: 1 },
  ];
  directory.status = { epoch: 7, nextEpochAt: Date.now() + 12_000 };
  return { dir, directory, m1, m2, gw };
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
