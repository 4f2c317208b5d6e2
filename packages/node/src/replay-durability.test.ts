/**
 * Issue 14 finding #5 on real processes: a mix that forwarded a packet and is then SIGKILLed must
 * still refuse that packet after a restart with the same keys and data. The tag journal makes the
 * tag durable before the packet leaves; the periodic snapshot alone (every 60 s) did not.
 */
import { createPacket } from '@mixnet/sphinx';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestClient, type TestClient } from './test-support/client.js';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';
import { sendFrames } from './test-support/tcp.js';

let net: TestNetwork;
let client: TestClient;

beforeAll(async () => {
  net = await createTestNetwork({ layers: 1, workers: 1 });
  client = await connectTestClient(`ws://127.0.0.1:${net.gateway.websocketPort}`);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await net?.close();
});

const metric = async (node: TestNode, name: string) => (await net.metrics(node)).get(name) ?? 0;

describe('replay state across a crash', () => {
  it('drops a captured packet replayed after the mix was SIGKILLed right after forwarding it', async () => {
    const mix = net.mixes[0] as TestNode;
    const packet = createPacket({
      route: [mix, net.gateway].map((n) => ({ address: n.address, publicKey: n.publicKey })),
      delaysNs: [0n, 0n],
      destination: client.identity,
      message: new TextEncoder().encode('once'),
    });
    const frame = encodeFrame(FrameKind.Packet, packet);
    await sendFrames(mix.port, [frame]);
    await client.waitFor(1, 5_000);
    expect(await metric(mix, 'mixnet_packets_forwarded_total')).toBe(1);

    expect(await net.stop(mix, 'SIGKILL')).toBeNull();
    await net.start(mix);
    await sendFrames(mix.port, [frame]);
    const deadline = Date.now() + 5_000;
    while ((await metric(mix, 'mixnet_packets_dropped_total{reason="replay"}')) === 0) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await metric(mix, 'mixnet_packets_dropped_total{reason="replay"}')).toBe(1);
    expect(await metric(mix, 'mixnet_packets_forwarded_total')).toBe(0);
  }, 40_000);
});
