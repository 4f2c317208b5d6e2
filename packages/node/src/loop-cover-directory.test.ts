/**
 * Mix loop cover with a directory (no topology file): routes come from the current document, its
 * active layers and each node's key of the document's rotation. Nothing goes out before the first
 * document; a mix the document moves to standby stops; the others route through what stays active.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeDirectory, makeDocument, startFakeDirectory } from './test-support/directory-server.js';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';

let dir: FakeDirectory;
let net: TestNetwork;

beforeAll(async () => {
  dir = await startFakeDirectory();
  net = await createTestNetwork({
    layers: 3,
    workers: 1,
    extra: ({ role }) =>
      role === 'mix'
        ? {
            directory: { url: dir.url, publicKey: hex(dir.publicKey), announceMs: 60_000 },
            cover: { rateHz: 20, meanDelayMs: 5, timeoutMs: 3_000 },
          }
        : {},
  });
}, 60_000);

afterAll(async () => {
  await net?.close();
  await dir?.close();
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metric = async (n: TestNode, name: string) => (await net.metrics(n)).get(name) ?? 0;
const health = async (n: TestNode) =>
  (await (await fetch(`http://127.0.0.1:${n.metricsPort}/health`)).json()) as { epoch?: number };

describe('mix loop cover from the directory', () => {
  it('routes loops through the active layers of the current document, and only while active', async () => {
    const mixes = net.mixes as [TestNode, TestNode, TestNode];
    await dir.waitForDescriptors(3);
    await sleep(500);
    for (const m of mixes) expect(await metric(m, 'mixnet_loop_cover_sent_total'), m.id).toBe(0); // no document yet

    // Each mix's rotation-0 key as it announced it.
    const keyOf = (m: TestNode) => {
      const d = dir.descriptors.find((x) => x.id === m.id);
      return d?.sphinxKeys.find((k) => k.rotation === 0)?.key as string;
    };
    const entry = (m: TestNode) => ({
      id: m.id,
      address: `127.0.0.1:${m.port}`,
      sphinxKey: keyOf(m),
      identityKey: hex(m.identityKey),
    });
    const gateway = {
      id: net.gateway.id,
      address: `127.0.0.1:${net.gateway.port}`,
      sphinxKey: hex(net.gateway.publicKey),
      identityKey: hex(net.gateway.identityKey),
      clientUrl: `ws://127.0.0.1:${net.gateway.websocketPort}`,
    };
    // The document's layers are not the configs' (mix-3 first): the document decides.
    dir.publish(
      makeDocument({
        epoch: 0,
        layers: [[entry(mixes[2])], [entry(mixes[0])], [entry(mixes[1])]],
        gateways: [gateway],
      }),
    );
    for (const m of mixes) {
      const deadline = Date.now() + 10_000;
      while ((await health(m)).epoch !== 0 && Date.now() < deadline) await sleep(50);
    }
    await sleep(2_000);
    for (const m of mixes) {
      const sent = await metric(m, 'mixnet_loop_cover_sent_total');
      const back = await metric(m, 'mixnet_loop_cover_returned_total');
      expect(sent, m.id).toBeGreaterThan(15);
      expect(back, m.id).toBeGreaterThanOrEqual(sent - 5);
      expect(await metric(m, 'mixnet_loop_cover_lost_total'), m.id).toBe(0);
    }

    // mix-2 goes to standby: it stops sending, the two others loop through each other only.
    dir.publish(
      makeDocument({
        epoch: 1,
        layers: [[entry(mixes[2])], [entry(mixes[0])]],
        gateways: [gateway],
        standby: [{ ...entry(mixes[1]), role: 'mix' }],
      }),
    );
    for (const m of mixes) {
      const deadline = Date.now() + 10_000;
      while ((await health(m)).epoch !== 1 && Date.now() < deadline) await sleep(50);
    }
    await sleep(300); // loops in flight land
    const at = await Promise.all(mixes.map((m) => metric(m, 'mixnet_loop_cover_sent_total')));
    const forwardedBy2 = await metric(mixes[1], 'mixnet_packets_forwarded_total');
    await sleep(2_000);
    expect(await metric(mixes[1], 'mixnet_loop_cover_sent_total')).toBe(at[1]);
    expect(await metric(mixes[1], 'mixnet_packets_forwarded_total')).toBe(forwardedBy2);
    for (const i of [0, 2]) {
      const m = mixes[i] as TestNode;
      expect(await metric(m, 'mixnet_loop_cover_sent_total'), m.id).toBeGreaterThan((at[i] as number) + 15);
      expect(await metric(m, 'mixnet_loop_cover_lost_total'), m.id).toBe(0);
    }
  }, 60_000);
});
