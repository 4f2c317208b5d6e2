/**
 * The directory against real relays (issue 13 item 1): 8 mixes and 2 gateways of @mixnet/node on
 * loopback, registered with descriptors signed by their keys; the monitor probes them with the
 * client SDK. Every node scores 1; a stopped mix scores 0 after the first full round, and the next
 * epoch takes it out of the active set (standby, score 0) and brings a standby mix in.
 */
import { verifyTopologyDocument } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectory, type Directory } from './directory.js';
import { directoryFixture, post, serviceProviderDescriptor, until } from './test-support/fixtures.js';
import { startRelays, type TestRelay } from './test-support/relays.js';

let directory: Directory;
let relays: TestRelay[] = [];
let publicKey: Uint8Array;

beforeAll(async () => {
  ({ relays } = await startRelays({ mixes: 8, gateways: 2 }));
  const fx = directoryFixture({
    epochMs: 3_000,
    announceMs: 600_000,
    keyRotationEpochs: 1_000,
    layers: 3,
    activePerLayer: 2,
    activeGateways: 2,
    monitor: { intervalMs: 500, packetsPerNode: 4, timeoutMs: 1_500, window: 4, muMs: 1 },
  });
  publicKey = fx.publicKey;
  directory = createDirectory(fx.config);
  await directory.start();
  for (const r of relays) expect((await post(`${directory.url}/v1/descriptors`, r.identity.signed())).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await directory?.stop();
  await Promise.all(relays.map((r) => r.stop()));
});

const document = async () => {
  const res = await fetch(`${directory.url}/v1/topology`);
  return verifyTopologyDocument(await res.json(), { publicKey }).document;
};

describe('directory with real relays', () => {
  it('publishes a document and scores every node 1 with real Sphinx probes', async () => {
    await until(() => directory.current(), 20_000, 'the first document');
    const nodes = await until(
      () => {
        const list = directory.nodes();
        return list.length === 10 && list.every((n) => n.tested && n.score === 1) ? list : undefined;
      },
      20_000,
      'every node at score 1',
    );
    expect(nodes.filter((n) => n.role === 'gateway')).toHaveLength(2);
    // The first document came as soon as a mix per layer and a gateway were in; the next has everyone.
    const at = Date.now();
    const doc = await until(
      async () => {
        const d = await document();
        return d.issuedAt > at ? d : undefined;
      },
      15_000,
      'an epoch with every node scored',
    );
    expect(doc.layers.map((l) => l.length)).toEqual([2, 2, 2]);
    expect(doc.gateways).toHaveLength(2);
    expect(doc.standby.map((s) => s.role)).toEqual(['mix', 'mix']);
    // A service provider that registers mid-epoch is listed at once, in the same epoch issued again.
    const sp = serviceProviderDescriptor('sp-1', doc.gateways[0]?.id as string);
    expect((await post(`${directory.url}/v1/descriptors`, sp.signed)).status).toBe(200);
    const again = await document();
    expect(again.epoch).toBe(doc.epoch);
    expect(again.layers).toEqual(doc.layers);
    expect(again.serviceProviders.map((s) => s.id)).toEqual(['sp-1']);
    const m = await (await fetch(`${directory.url}/metrics`)).text();
    expect(m).toMatch(/directory_monitor_packets_returned_total\{[^}]*node_role="gateway"[^}]*\} [1-9]/);
  }, 60_000);

  it('scores a stopped mix 0 within one round, and the next epoch replaces it with a standby', async () => {
    const before = await document();
    const victim = before.layers[1]?.[0]?.id as string;
    const standby = new Set(before.standby.map((s) => s.id));
    await (relays.find((r) => r.id === victim) as TestRelay).stop();
    // The round in flight may have started before the stop; the next one starts after it.
    await directory.runMonitorRound();
    await directory.runMonitorRound();
    expect(directory.nodes().find((n) => n.id === victim)).toMatchObject({ score: 0, state: 'down' });
    // Once it scores 0 it is no companion: the others' next round is clean.
    await directory.runMonitorRound();
    const at = Date.now();
    for (const n of directory.nodes())
      if (n.kind === 'node' && n.id !== victim) expect(n.score, n.id).toBeGreaterThan(0);

    const after = await until(
      async () => {
        const d = await document();
        return d.issuedAt > at ? d : undefined;
      },
      15_000,
      'an epoch after the kill',
    );
    expect(after.epoch).toBeGreaterThan(before.epoch);
    const active = after.layers.flat().map((n) => n.id);
    expect(active).not.toContain(victim);
    // Still registered, so listed as standby with score 0: nodes let probes through it, and it can come back.
    expect(after.standby.find((s) => s.id === victim)).toBeDefined();
    expect(after.scores[victim]).toBe(0);
    expect(after.layers.map((l) => l.length)).toEqual([2, 2, 2]);
    expect(active.some((id) => standby.has(id))).toBe(true);
  }, 60_000);
});
