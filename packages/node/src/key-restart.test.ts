/**
 * A relay restarted (graceful stop, start with the same config and data) keeps its Sphinx key ring
 * (docs/directory.md §6): packets built with any key the directory announced before the restart
 * (current, next, and the previous one during its grace period) are still processed after it, and
 * the node announces the same keys again; a rotation published while it was down is followed
 * without losing the key senders used until then.
 */
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

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const sinkHop = generateKeyPair();

beforeAll(async () => {
  dir = await startFakeDirectory();
  sink = createPacketServer({ host: '127.0.0.1', port: 0, onPacket: () => {} });
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
type Outcome = 'forwarded' | 'replay' | 'bad_mac';
const counter = async (name: Outcome) => {
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
async function send(frame: Uint8Array): Promise<Outcome> {
  const before = { f: await counter('forwarded'), r: await counter('replay'), b: await counter('bad_mac') };
  await sendFrames(mix.port, [frame]);
  let result: Outcome | undefined;
  await until(async () => {
    if ((await counter('forwarded')) > before.f) result = 'forwarded';
    else if ((await counter('replay')) > before.r) result = 'replay';
    else if ((await counter('bad_mac')) > before.b) result = 'bad_mac';
    return result !== undefined;
  }, 'the mix to handle a packet');
  return result as Outcome;
}
const nodes = (sphinxKey: string) => ({
  layers: [[{ id: mix.id, address: `127.0.0.1:${mix.port}`, sphinxKey, identityKey: hex(mix.identityKey) }]],
  gateways: [
    { ...randomNode('sink', sinkPort), sphinxKey: hex(sinkHop.publicKey), clientUrl: `ws://127.0.0.1:${sinkPort}` },
  ],
});
async function health(): Promise<{ epoch?: number; keyRotation?: number }> {
  const res = await fetch(`http://127.0.0.1:${mix.metricsPort}/health`);
  return (await res.json()) as { epoch?: number; keyRotation?: number };
}
/** The keys (by rotation, hex) of the last descriptor the node announced. */
const announced = () => {
  const d = dir.descriptors.filter((x) => x.id === mix.id).at(-1);
  return Object.fromEntries((d?.sphinxKeys ?? []).map((k) => [k.rotation, k.key]));
};
async function restart(): Promise<void> {
  const before = dir.descriptors.length;
  expect(await net.stop(mix)).toBe(0);
  await net.start(mix);
  await until(() => dir.descriptors.slice(before).some((d) => d.id === mix.id), 'the restarted node to announce');
}

describe('Sphinx keys across a restart', () => {
  it('keeps every announced key: current, next, and the previous one in its grace period', async () => {
    await until(() => announced()[0] !== undefined, 'the first descriptor');
    const first = announced();
    const [k0, k1] = [fromHex(first[0] as string), fromHex(first[1] as string)];
    dir.publish(makeDocument({ epoch: 0, keyRotation: 0, ...nodes(hex(k0)) }));
    await until(async () => (await health()).epoch === 0, 'epoch 0');
    expect(await send(frameFor(k0))).toBe('forwarded');

    await restart();
    expect(announced()).toEqual(first);
    expect(await send(frameFor(k0))).toBe('forwarded');
    expect(await send(frameFor(k1))).toBe('forwarded');

    // Rotation 1 with a long grace: rotation 0's key must outlive a restart inside that grace.
    dir.publish(makeDocument({ epoch: 3, keyRotation: 1, graceMs: 60_000, ...nodes(hex(k1)) }));
    await until(async () => (await health()).keyRotation === 1, 'rotation 1');
    // The node re-announces (current 1, next 2) just after switching: take that descriptor, not the last one of rotation 0.
    await until(() => announced()[2] !== undefined, 'the descriptor of rotation 1');
    const second = announced();
    expect(second[1]).toBe(first[1]);
    await restart();
    expect(await health()).toMatchObject({ keyRotation: 1 });
    expect(announced()).toEqual(second);
    expect(await send(frameFor(k0))).toBe('forwarded');
    expect(await send(frameFor(k1))).toBe('forwarded');
    expect(await send(frameFor(fromHex(second[2] as string)))).toBe('forwarded');
    expect(await send(frameFor(generateKeyPair().publicKey))).toBe('bad_mac');
  }, 90_000);

  it('follows a rotation published while it was down, keeping the key senders used until then', async () => {
    const held = announced();
    const k1 = fromHex(held[1] as string);
    const k2 = fromHex(held[2] as string);
    expect(await net.stop(mix)).toBe(0);
    dir.publish(makeDocument({ epoch: 6, keyRotation: 2, graceMs: 60_000, ...nodes(hex(k2)) }));
    await net.start(mix);
    await until(async () => (await health()).keyRotation === 2, 'rotation 2 after the restart');
    expect(announced()[2]).toBe(hex(k2));
    expect(await send(frameFor(k1))).toBe('forwarded');
    expect(await send(frameFor(k2))).toBe('forwarded');
  }, 60_000);
});
