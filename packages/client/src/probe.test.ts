/** Probe clients on real relays (in this process): a probe comes back over a live route, and only then. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, createMixNode, generateNodeKeys, parseNodeConfig } from '@mixnet/node';
import { encodeNodeAddress, type RouteNode } from '@mixnet/sphinx';
import type { TopologyGateway } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeClient, type ProbeClient } from './probe.js';
import { joinMesh } from './test-support/relays.js';

const dir = mkdtempSync(join(tmpdir(), 'mixnet-probe-'));
const stops: (() => Promise<void>)[] = [];
let mix: RouteNode;
let gateways: TopologyGateway[] = [];
let client: ProbeClient;

async function relay(id: string, role: 'mix' | 'gateway') {
  const keys = {
    sphinxPrivateKeyFile: join(dir, id, 'sphinx.key'),
    identityPrivateKeyFile: join(dir, id, 'identity.key'),
  };
  const pub = generateNodeKeys(keys);
  const common = {
    id,
    listen: { host: '127.0.0.1', port: 0 },
    keys,
    dataDir: join(dir, id),
    workers: 0,
    log: { level: 'silent' },
  };
  const config = parseNodeConfig(
    role === 'mix' ? { ...common, role, layer: 1 } : { ...common, role, websocket: { host: '127.0.0.1', port: 0 } },
  );
  const node = config.role === 'mix' ? await createMixNode(config) : await createGateway(config);
  const { port, websocketPort } = (await node.start()) as { port: number; websocketPort?: number };
  joinMesh(node, { id, address: `127.0.0.1:${port}`, role });
  stops.push(() => node.stop());
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return {
    hop: { address: encodeNodeAddress({ host: '127.0.0.1', port }), publicKey: pub.sphinxPublicKey },
    gateway: {
      id,
      address: `127.0.0.1:${port}`,
      sphinxKey: hex(pub.sphinxPublicKey),
      identityKey: hex(pub.identityPublicKey),
      clientUrl: `ws://127.0.0.1:${websocketPort}`,
    },
  };
}

beforeAll(async () => {
  mix = (await relay('mix-1', 'mix')).hop;
  gateways = [(await relay('gw-1', 'gateway')).gateway, (await relay('gw-2', 'gateway')).gateway];
  client = createProbeClient({ gateway: gateways[0] as TopologyGateway, muMs: 1 });
  await client.ready;
}, 30_000);

afterAll(async () => {
  await client?.close();
  for (const stop of stops) await stop();
});

describe('probe client', () => {
  it('sees a probe come back through a live route and its own gateway', async () => {
    expect(client.connected).toBe(true);
    const results = await Promise.all([1, 2, 3].map(() => client.probe([mix, mix, client.gatewayHop], 5_000)));
    expect(results).toEqual([true, true, true]);
  });

  it('reports false for a dead hop, or a route that leaves through another gateway', async () => {
    const dead: RouteNode = { address: encodeNodeAddress({ host: '127.0.0.1', port: 1 }), publicKey: mix.publicKey };
    expect(await client.probe([mix, dead, client.gatewayHop], 500)).toBe(false);
    const other = createProbeClient({ gateway: gateways[1] as TopologyGateway });
    expect(await client.probe([mix, other.gatewayHop], 500)).toBe(false);
    await other.close();
  });

  it('reports false at once when closed, for pending probes too', async () => {
    const c = createProbeClient({ gateway: gateways[0] as TopologyGateway, muMs: 0 });
    await c.ready;
    const dead: RouteNode = { address: encodeNodeAddress({ host: '127.0.0.1', port: 1 }), publicKey: mix.publicKey };
    const pending = c.probe([dead, c.gatewayHop], 60_000);
    await c.close();
    expect(await pending).toBe(false);
    expect(await c.probe([mix, c.gatewayHop], 60_000)).toBe(false);
  });
});
