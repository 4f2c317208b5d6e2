/**
 * A fake running testnet for the dashboard's tests: a state folder naming a directory stand-in and
 * relays whose metrics (and optional fault API) are real HTTP servers on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestnetState, writeState } from '@mixnet/testnet';
import { type FakeDirectory, startFakeDirectory } from '../../../../testnet/src/test-support/fake-directory.js';

export interface FakeNode {
  url: string;
  received: number;
  drops: Record<string, number>;
  /** undefined: GET /admin/faults answers 404 (a node without the fault API). */
  faults?: unknown[];
  /** When set, GET /admin/faults wants `Authorization: Bearer <token>` (else 401), as from a container. */
  token?: string;
  faultCalls: number;
  close(): Promise<void>;
}

export async function fakeNode(faults?: unknown[]): Promise<FakeNode> {
  const node: Omit<FakeNode, 'url' | 'close'> = { received: 0, drops: {}, faults, faultCalls: 0 };
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
      else if (node.token && req.headers.authorization !== `Bearer ${node.token}`) res.writeHead(401).end();
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

export interface FakeTestnet {
  dir: string;
  directory: FakeDirectory;
  m1: FakeNode;
  m2: FakeNode;
  gw: FakeNode;
  close(): Promise<void>;
}

/** Two mixes (the first with a fault rule, the second without the fault API) and a gateway. */
export async function startFakeTestnet(): Promise<FakeTestnet> {
  const cleanup: (() => Promise<void> | void)[] = [];
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
  return {
    dir,
    directory,
    m1,
    m2,
    gw,
    async close() {
      for (const c of cleanup.splice(0).reverse()) await c();
    },
  };
}
