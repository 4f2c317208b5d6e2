/** Probe clients on real relays (in this process): a probe comes back over a live route, and only then. */
import { encodeNodeAddress, type RouteNode } from '@mixnet/sphinx';
import { routeHop, type TopologyGateway } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeClient, type ProbeClient } from './probe.js';
import { startGateway, startMix } from './test-support/relays.js';

const stops: (() => Promise<void>)[] = [];
let mix: RouteNode;
let gateways: TopologyGateway[] = [];
let client: ProbeClient;

beforeAll(async () => {
  const m = await startMix('mix-1', 1);
  mix = routeHop(m.entry);
  const gws = [await startGateway('gw-1'), await startGateway('gw-2')];
  stops.push(m.stop, ...gws.map((g) => g.stop));
  gateways = gws.map((g) => g.entry);
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
