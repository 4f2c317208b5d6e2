/**
 * A node host's metrics (issue 16): every hosted node serves its own counters on its own metrics
 * port, labelled with its own id, though all share one process and one Sphinx worker pool. The
 * directory's auto-sizer reads each mix's `mixnet_packets_received_total` from its metricsUrl, so
 * a host must not report one node's packets as another's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPacket, encodeNodeAddress, generateKeyPair } from '@mixnet/sphinx';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeHost, type NodeHost } from './host.js';
import { generateNodeKeys } from './keys.js';
import { freePort } from './test-support/network.js';
import { sendFrames } from './test-support/tcp.js';

interface Hosted {
  id: string;
  port: number;
  metricsPort: number;
  publicKey: Uint8Array;
  identityKey: Uint8Array;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const dir = mkdtempSync(join(tmpdir(), 'mixnet-host-metrics-'));
const nodes: Hosted[] = [];
let host: NodeHost;

beforeAll(async () => {
  for (const id of ['mix-a', 'mix-b', 'mix-c']) {
    const port = await freePort();
    const metricsPort = await freePort();
    const keys = { sphinxPrivateKeyFile: `${id}/sphinx.key`, identityPrivateKeyFile: `${id}/identity.key` };
    const pub = generateNodeKeys({
      sphinxPrivateKeyFile: join(dir, keys.sphinxPrivateKeyFile),
      identityPrivateKeyFile: join(dir, keys.identityPrivateKeyFile),
    });
    const config = {
      role: 'mix',
      id,
      layer: 1,
      listen: { host: '127.0.0.1', port },
      keys,
      dataDir: `${id}/data`,
      metrics: { host: '127.0.0.1', port: metricsPort },
      workers: 1,
      log: { level: 'warn' },
      // Members: the nodes of topology.json (packets are taken only from members' addresses).
      network: { topologyFile: 'topology.json' },
    };
    writeFileSync(join(dir, `${id}.json`), JSON.stringify(config));
    nodes.push({ id, port, metricsPort, publicKey: pub.sphinxPublicKey, identityKey: pub.identityPublicKey });
  }
  const entry = (n: Hosted) => ({
    id: n.id,
    address: `127.0.0.1:${n.port}`,
    sphinxKey: hex(n.publicKey),
    identityKey: hex(n.identityKey),
  });
  const gateway = {
    ...entry(nodes[0] as Hosted),
    id: 'gateway-x',
    address: '127.0.0.1:1',
    clientUrl: 'ws://127.0.0.1:1',
  };
  writeFileSync(
    join(dir, 'topology.json'),
    JSON.stringify({ layers: nodes.map((n) => [entry(n)]), gateways: [gateway], serviceProviders: [] }),
  );
  writeFileSync(join(dir, 'host.json'), JSON.stringify({ workers: 1, nodes: nodes.map((n) => `${n.id}.json`) }));
  host = await createNodeHost({ configPath: join(dir, 'host.json') });
  await host.start();
}, 30_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `mixnet_packets_received_total` of one node, and the id label it carries. */
async function received(n: Hosted): Promise<{ id: string | undefined; value: number }> {
  const text = await (await fetch(`http://127.0.0.1:${n.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('mixnet_packets_received_total'));
  return { id: /id="([^"]*)"/.exec(line ?? '')?.[1], value: Number(line?.split(' ').pop() ?? Number.NaN) };
}

/** A packet whose first hop is `n`; the next hop is nobody (the packet is dropped after it). */
function packetFor(n: Hosted): Uint8Array {
  const nowhere = {
    address: encodeNodeAddress({ host: '127.0.0.1', port: 1 }),
    publicKey: generateKeyPair().publicKey,
  };
  return encodeFrame(
    FrameKind.Packet,
    createPacket({
      route: [{ address: encodeNodeAddress({ host: '127.0.0.1', port: n.port }), publicKey: n.publicKey }, nowhere],
      delaysNs: [0n, 0n],
      destination: new Uint8Array(32),
      message: new Uint8Array(16),
    }),
  );
}

describe('node host metrics', () => {
  it('each hosted node reports only its own packets, under its own id', async () => {
    const [a, b, c] = nodes as [Hosted, Hosted, Hosted];
    await sendFrames(
      b.port,
      Array.from({ length: 7 }, () => packetFor(b)),
    );
    await sendFrames(
      c.port,
      Array.from({ length: 3 }, () => packetFor(c)),
    );
    const deadline = Date.now() + 10_000;
    while ((await received(b)).value < 7 || (await received(c)).value < 3) {
      if (Date.now() > deadline) throw new Error('the packets were not counted');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await received(a)).toEqual({ id: 'mix-a', value: 0 });
    expect(await received(b)).toEqual({ id: 'mix-b', value: 7 });
    expect(await received(c)).toEqual({ id: 'mix-c', value: 3 });
  });
});
