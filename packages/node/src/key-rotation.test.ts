/**
 * Key rotation end to end in a mix with a worker thread (docs/directory.md §6; issue 14 #3): the
 * mix registers current and next keys, takes packets made with either, switches when a document
 * names a newer rotation (re-announcing), keeps the old key for the grace period and then drops it
 * with its key file and replay filter; replays are caught across the switch.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPacket, encodeNodeAddress, generateKeyPair } from '@mixnet/sphinx';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPacketServer, type PacketServer } from './packet-server.js';
import { type FakeDirectory, makeDocument, randomNode, startFakeDirectory } from './test-support/directory-server.js';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';
import { sendFrames } from './test-support/tcp.js';

let dir: FakeDirectory;
let net: TestNetwork;
let mix: TestNode;
let sink: PacketServer;
let sinkPort: number;
let received = 0;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const sinkHop = generateKeyPair();

beforeAll(async () => {
  dir = await startFakeDirectory();
  sink = createPacketServer({ host: '127.0.0.1', port: 0, onPacket: () => received++ });
  sinkPort = (await sink.listen()).port;
  net = await createTestNetwork({
    layers: 1,
    workers: 1,
    extra: () => ({ directory: { url: dir.url, publicKey: hex(dir.publicKey), announceMs: 60_000 } }),
  });
  mix = net.mixes[0] as TestNode;
}, 60_000);

afterAll(async () => {
  await net?.close();
  await sink?.close({ destroy: true });
  await dir?.close();
});

/** A fresh two-hop packet (the mix with `key`, then the sink) and its frame. */
function frameFor(key: Uint8Array): Uint8Array {
  const packet = createPacket({
    route: [
      { address: mix.address, publicKey: key },
      { address: encodeNodeAddress({ host: '127.0.0.1', port: sinkPort }), publicKey: sinkHop.publicKey },
    ],
    delaysNs: [0n, 0n],
    destination: new Uint8Array(32),
    message: new Uint8Array(10),
  });
  return encodeFrame(FrameKind.Packet, packet);
}
const counter = async (name: 'forwarded' | 'replay' | 'bad_mac') => {
  const m = await net.metrics(mix);
  if (name === 'forwarded') return m.get('mixnet_packets_forwarded_total') ?? 0;
  return m.get(`mixnet_packets_dropped_total{reason="${name}"}`) ?? 0;
};
const until = async (cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
/** Sends one frame and waits until the mix has counted it one way or another. */
async function send(frame: Uint8Array): Promise<'forwarded' | 'replay' | 'bad_mac'> {
  const before = { f: await counter('forwarded'), r: await counter('replay'), b: await counter('bad_mac') };
  await sendFrames(mix.port, [frame]);
  let result: 'forwarded' | 'replay' | 'bad_mac' | undefined;
  await until(async () => {
    if ((await counter('forwarded')) > before.f) result = 'forwarded';
    else if ((await counter('replay')) > before.r) result = 'replay';
    else if ((await counter('bad_mac')) > before.b) result = 'bad_mac';
    return result !== undefined;
  }, 'the mix to handle a packet');
  return result as 'forwarded' | 'replay' | 'bad_mac';
}
/** The document's nodes: the mix with its key of the rotation, and the sink as a gateway (a member). */
const nodes = (sphinxKey: string) => ({
  layers: [[{ id: mix.id, address: `127.0.0.1:${mix.port}`, sphinxKey, identityKey: hex(mix.identityKey) }]],
  gateways: [
    { ...randomNode('sink', sinkPort), sphinxKey: hex(sinkHop.publicKey), clientUrl: `ws://127.0.0.1:${sinkPort}` },
  ],
});

describe('Sphinx key rotation in a mix', () => {
  it('a gateway registers as one: its client URL, its metrics URL, its keys', async () => {
    const gw = net.gateway;
    const d = await descriptorOf(gw.id, 1);
    expect(d).toMatchObject({
      role: 'gateway',
      address: `127.0.0.1:${gw.port}`,
      clientUrl: `ws://127.0.0.1:${gw.websocketPort}`,
      metricsUrl: `http://127.0.0.1:${gw.metricsPort}`,
      identityKey: hex(gw.identityKey),
    });
    expect(d.sphinxKeys.map((k) => k.rotation)).toEqual([0, 1]);
    const h = (await (await fetch(`http://127.0.0.1:${gw.metricsPort}/health`)).json()) as { keyRotation?: number };
    expect(h.keyRotation).toBe(0);
  });

  it('rotates with the directory: both announced keys work, the old one for the grace period only', async () => {
    const first = await descriptorOf(mix.id, 1);
    expect(first.sphinxKeys.map((k) => k.rotation)).toEqual([0, 1]);
    expect(first.id).toBe(mix.id);
    expect(first.address).toBe(`127.0.0.1:${mix.port}`);
    expect(first.metricsUrl).toBe(`http://127.0.0.1:${mix.metricsPort}`);
    const [k0, k1] = first.sphinxKeys.map((k) => fromHex(k.key)) as [Uint8Array, Uint8Array];
    // With a directory the config's static key is not used for Sphinx.
    expect(k0).not.toEqual(mix.publicKey);

    dir.publish(makeDocument({ epoch: 0, keyRotation: 0, ...nodes(hex(k0)) }));
    await until(async () => (await health()).epoch === 0, 'epoch 0');
    expect(await send(frameFor(k0))).toBe('forwarded');
    // A sender already on the next rotation's key (it has a newer document than the mix).
    const early = frameFor(k1);
    expect(await send(early)).toBe('forwarded');
    expect(await send(frameFor(randomKey()))).toBe('bad_mac');

    dir.publish(makeDocument({ epoch: 3, keyRotation: 1, graceMs: 1_500, ...nodes(hex(k1)) }));
    const second = await descriptorOf(mix.id, 2);
    expect(second.sphinxKeys.map((k) => k.rotation)).toEqual([1, 2]);
    expect(second.sphinxKeys[0]?.key).toBe(hex(k1));
    expect(await health()).toMatchObject({ epoch: 3, keyRotation: 1 });

    // In the grace period the old key still opens packets; the switch kept rotation 1's filter.
    expect(await send(frameFor(k0))).toBe('forwarded');
    expect(await send(early)).toBe('replay');

    const data = join(net.dir, mix.id, 'data');
    const keyDir = join(data, 'sphinx-keys');
    await until(() => !existsSync(join(keyDir, '0.key')), 'the rotation 0 key to go', 10_000);
    await until(async () => (await send(frameFor(k0))) === 'bad_mac', 'the old key to stop working');
    expect(
      readdirSync(keyDir)
        .filter((n) => n.endsWith('.key'))
        .sort(),
    ).toEqual(['1.key', '2.key']);
    await until(
      () => !readdirSync(join(data, 'replay')).some((n) => n.startsWith('0-')),
      'the rotation 0 replay filter to go',
    );
    expect(await send(frameFor(k1))).toBe('forwarded');
    // Everything forwarded reached the next hop.
    const forwarded = await counter('forwarded');
    await until(() => received === forwarded, 'the sink to get every forwarded packet');
  }, 60_000);
});

/** The n-th descriptor a node announced. */
async function descriptorOf(id: string, n: number) {
  await until(() => dir.descriptors.filter((d) => d.id === id).length >= n, `descriptor ${n} of ${id}`);
  return dir.descriptors.filter((d) => d.id === id)[n - 1] as (typeof dir.descriptors)[number];
}

function randomKey(): Uint8Array {
  return generateKeyPair().publicKey;
}

async function health(): Promise<{ epoch?: number; keyRotation?: number }> {
  const res = await fetch(`http://127.0.0.1:${mix.metricsPort}/health`);
  return (await res.json()) as { epoch?: number; keyRotation?: number };
}
