/** Topology loading (topology.ts) from objects, files and URLs, and the route planner. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RouteNode } from '@mixnet/sphinx';
import { routeHop, type Topology, TopologyError, type TopologyGateway, type TopologyNode } from '@mixnet/sphinx/wire';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from './bytes.js';
import { createTopologySource } from './directory-source.js';
import { pick } from './random.js';
import { startTestDirectory, testDocument } from './test-support/directory.js';
import { testGateway, testNode, testTopology } from './test-support/topology.js';
import { createLivePlanner, createRoutePlanner, loadTopology, standbyGateways } from './topology.js';

const strip = ({ spSecret: _, ...t }: ReturnType<typeof testTopology>): Topology => t;
const topology = strip(testTopology([2, 3, 1], 2));

let dir: string;
let server: Server;
let base: string;
const served = new Map<string, { status: number; body: string }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mixnet-topology-'));
  server = createServer((req, res) => {
    const page = served.get(req.url ?? '') ?? { status: 404, body: 'not found' };
    res.writeHead(page.status, { 'content-type': 'application/json' });
    res.end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  served.set('/topology.json', { status: 200, body: JSON.stringify(topology) });
  served.set('/bad.json', { status: 200, body: '{"layers": [' });
  served.set('/invalid.json', { status: 200, body: JSON.stringify({ ...topology, gateways: [] }) });
  served.set('/error', { status: 500, body: JSON.stringify(topology) });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('loadTopology', () => {
  it('validates an object', async () => {
    expect(await loadTopology(topology)).toEqual(topology);
    const err = await rejection(loadTopology({ ...topology, layers: [[]] }));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toMatch(/layers\[0\]/);
  });

  it('reads a file by path and by file: URL', async () => {
    const file = join(dir, 'topology.json');
    await writeFile(file, JSON.stringify(topology));
    expect(await loadTopology(file)).toEqual(topology);
    expect(await loadTopology(pathToFileURL(file))).toEqual(topology);
    expect(await loadTopology(pathToFileURL(file).href)).toEqual(topology);
  });

  it('fetches an http URL, as a string or a URL', async () => {
    expect(await loadTopology(`${base}/topology.json`)).toEqual(topology);
    expect(await loadTopology(new URL(`${base}/topology.json`))).toEqual(topology);
  });

  it('says clearly when the file is not JSON', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"layers": [ oops');
    const err = await rejection(loadTopology(file));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toBe(`topology ${file} is not JSON`);
    const remote = await rejection(loadTopology(`${base}/bad.json`));
    expect(remote).toBeInstanceOf(TopologyError);
    expect(remote.message).toMatch(/is not JSON/);
  });

  it('names the bad field of a topology that is JSON but invalid', async () => {
    const file = join(dir, 'invalid.json');
    const broken = structuredClone(topology) as unknown as { layers: Record<string, unknown>[][] };
    (broken.layers[1] as Record<string, unknown>[])[2] = { ...broken.layers[1]?.[2], sphinxKey: 'xyz' };
    await writeFile(file, JSON.stringify(broken));
    const err = await rejection(loadTopology(file));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toMatch(/layers\[1\]\[2\]\.sphinxKey/);
    const remote = await rejection(loadTopology(`${base}/invalid.json`));
    expect(remote.message).toMatch(/gateways/);
  });

  it('reports a missing file and an HTTP error as TopologyError naming the source', async () => {
    const missing = join(dir, 'nope.json');
    const err = await rejection(loadTopology(missing));
    expect(err).toBeInstanceOf(TopologyError);
    expect(err.message).toContain(missing);
    for (const path of ['/missing.json', '/error']) {
      const http = await rejection(loadTopology(`${base}${path}`));
      expect(http).toBeInstanceOf(TopologyError);
      expect(http.message).toMatch(/HTTP (404|500)/);
    }
  });
});

describe('createRoutePlanner', () => {
  const sameHop = (a: RouteNode, b: RouteNode) =>
    Buffer.compare(a.address, b.address) === 0 && Buffer.compare(a.publicKey, b.publicKey) === 0;

  it('routes through one node of each layer, in layer order, then the egress gateway', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.nat()),
        (layers, gateways, choices) => {
          const t = strip(testTopology(layers, gateways));
          const planner = createRoutePlanner(t);
          const offered: (readonly unknown[])[] = [];
          const it = choices[Symbol.iterator]();
          const pick = <T>(items: readonly T[]): T => {
            offered.push(items);
            return items[(it.next().value as number) % items.length] as T;
          };
          const egress = t.gateways[gateways - 1] as (typeof t.gateways)[number];
          const route = planner.route(egress, pick);
          expect(route).toHaveLength(t.layers.length + 1);
          // pick was asked once per layer, with that layer.
          expect(offered).toEqual(t.layers);
          for (const [i, layer] of t.layers.entries()) {
            const hop = route[i] as RouteNode;
            expect(layer.some((n) => sameHop(hop, routeHop(n)))).toBe(true);
          }
          expect(sameHop(route.at(-1) as RouteNode, routeHop(egress))).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('uses the node the pick chose', () => {
    const planner = createRoutePlanner(topology);
    const last = <T>(items: readonly T[]) => items[items.length - 1] as T;
    const route = planner.route(topology.gateways[1] as (typeof topology.gateways)[number], last);
    const expected = [...topology.layers.map((l) => l.at(-1) as TopologyNode), topology.gateways[1] as TopologyNode];
    expect(route.map((h) => Buffer.from(h.address).toString('hex'))).toEqual(
      expected.map((n) => Buffer.from(routeHop(n).address).toString('hex')),
    );
    expect(route.map((h) => h.publicKey)).toEqual(expected.map((n) => routeHop(n).publicKey));
  });

  it('decodes each hop once', () => {
    const planner = createRoutePlanner(topology);
    const node = topology.layers[0]?.[0] as TopologyNode;
    expect(planner.hop(node)).toBe(planner.hop(node));
  });

  it('finds gateways by id and names an unknown one', () => {
    const planner = createRoutePlanner(topology);
    expect(planner.gateway('gw1')).toBe(topology.gateways[1]);
    expect(() => planner.gateway('gw7')).toThrow(TopologyError);
    expect(() => planner.gateway('gw7')).toThrow(/no gateway "gw7"/);
    expect(() => planner.gateway('mix-0-0')).toThrow(TopologyError);
  });
});

describe('createLivePlanner', () => {
  const addressesOf = (t: Topology) =>
    new Set([...t.layers.flat(), ...t.gateways].map((n) => toHex(routeHop(n).address)));

  it('routes only through the active set of the directory document, never a standby node', async () => {
    const dir = await startTestDirectory();
    const active = strip(testTopology([2, 2, 2], 2));
    const doc = testDocument(active, 4);
    doc.standby = [
      { ...testNode('standby-mix'), role: 'mix' },
      { ...testGateway('standby-gw'), role: 'gateway' },
    ];
    dir.serveSigned(dir.sign(doc));
    const feed = await createTopologySource({ directory: { url: dir.url, publicKey: dir.publicKey } });
    try {
      const planner = createLivePlanner(feed.topology);
      const allowed = addressesOf(active);
      const standby = new Set(doc.standby.map((n) => toHex(routeHop(n).address)));
      for (let i = 0; i < 300; i++) {
        for (const hop of planner.route(planner.gateway('gw1'), pick)) {
          const a = toHex(hop.address);
          expect(allowed.has(a)).toBe(true);
          expect(standby.has(a)).toBe(false);
        }
      }
    } finally {
      feed.close();
      await dir.stop();
    }
  });

  it('switches at once: every route built after set() is from the new topology, earlier ones are left alone', () => {
    const a = strip(testTopology([2, 2, 2], 2));
    const b = strip(testTopology([1, 1, 1], 2));
    const planner = createLivePlanner(a);
    const before = planner.route(planner.gateway('gw0'), pick);
    const snapshot = before.map((h) => toHex(h.address));
    planner.set(b);
    expect(planner.topology).toBe(b);
    const inB = addressesOf(b);
    for (let i = 0; i < 50; i++)
      for (const hop of planner.route(planner.gateway('gw0'), pick)) expect(inB.has(toHex(hop.address))).toBe(true);
    expect(before.map((h) => toHex(h.address))).toEqual(snapshot);
    expect(snapshot.every((x) => addressesOf(a).has(x))).toBe(true);
  });

  it("reaches a recipient's gateway that left the active set at its standby entry (this rotation's key), else its last entry", async () => {
    const dir = await startTestDirectory();
    const t = strip(testTopology([1, 1, 1], 2));
    const [gw0, gw1] = t.gateways as [TopologyGateway, TopologyGateway];
    const rotated = { ...testGateway('gw1'), address: gw1.address, identityKey: gw1.identityKey };
    const doc = testDocument({ ...t, gateways: [gw0], serviceProviders: [] }, 5);
    doc.standby = [{ ...rotated, role: 'gateway' }];
    dir.serveSigned(dir.sign(doc));
    const feed = await createTopologySource({ directory: { url: dir.url, publicKey: dir.publicKey } });
    try {
      const planner = createLivePlanner(feed.topology, standbyGateways(feed.document));
      expect(planner.egressFor('ab'.repeat(32), 'gw1')).toEqual(rotated);
      expect(planner.egressFor('ab'.repeat(32), 'gw0')).toEqual(gw0);
      // Never a hop on a route, and gone with the next document that does not list it.
      for (let i = 0; i < 50; i++)
        for (const hop of planner.route(gw0, pick)) expect(toHex(hop.address)).not.toBe(toHex(routeHop(gw1).address));
      // A document that lists it nowhere (its registration lapsed): its last entry, until it is back.
      planner.set({ ...feed.topology, gateways: [gw0] }, []);
      expect(planner.egressFor('ab'.repeat(32), 'gw1')).toEqual(rotated);
      expect(planner.knownGateway('gw1')).toEqual(rotated);
      expect(planner.knownGateway('gw9')).toBeUndefined();
      expect(() => planner.egressFor('ab'.repeat(32), 'gw9')).toThrow(TopologyError);
      planner.set({ ...feed.topology, gateways: [gw0, gw1] }, []);
      expect(planner.egressFor('ab'.repeat(32), 'gw1')).toEqual(gw1);
    } finally {
      feed.close();
      await dir.stop();
    }
  });

  it('reaches a service provider at its current gateway, whatever gateway its address named', () => {
    const t = strip(testTopology([1, 1, 1], 2));
    const sp = t.serviceProviders[0] as Topology['serviceProviders'][number];
    const planner = createLivePlanner(t);
    expect(planner.egressFor(sp.address, 'gw0').id).toBe('gw0');
    planner.set({ ...t, serviceProviders: [{ ...sp, gateway: 'gw1' }] });
    expect(planner.egressFor(sp.address, 'gw0').id).toBe('gw1');
    expect(planner.egressFor('ab'.repeat(32), 'gw0').id).toBe('gw0');
    expect(() => planner.egressFor('ab'.repeat(32), 'gw9')).toThrow(TopologyError);
  });
});
