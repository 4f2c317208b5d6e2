/**
 * Integration (issue #4): 3 mixes and a gateway as real processes on loopback, keys and configs
 * generated here, traffic from @mixnet/sphinx, a WebSocket client at the gateway.
 */
import { connect } from 'node:net';
import { createPacket, recoverMessage } from '@mixnet/sphinx';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestClient, type TestClient } from './test-support/client.js';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';

const MU_MS = 15;
const text = new TextEncoder();
const exp = (mean: number) => -mean * Math.log(1 - Math.random());

let net: TestNetwork;
let client: TestClient;

beforeAll(async () => {
  net = await createTestNetwork({ layers: 3, workers: 1 });
  client = await connectTestClient(`ws://127.0.0.1:${net.gateway.websocketPort}`);
}, 60_000);

afterAll(async () => {
  await client?.close();
  await net?.close();
});

const hops = () => [...net.mixes, net.gateway];

function packet(message: string, delaysMs: number[] = [0, 0, 0, 0], to: Uint8Array = client.identity): Uint8Array {
  return createPacket({
    route: hops().map((n) => ({ address: n.address, publicKey: n.publicKey })),
    delaysNs: delaysMs.map((d) => BigInt(Math.round(d * 1e6))),
    destination: to,
    message: text.encode(message),
  });
}

const firstHop = () => (net.mixes[0] as TestNode).address;
const decoded = (c: TestClient, from = 0) =>
  c.received.slice(from).map((r) => new TextDecoder().decode(recoverMessage(r.payload)));
const metric = async (node: TestNode, name: string) => (await net.metrics(node)).get(name) ?? 0;

/** Sends raw bytes on a fresh TCP connection; resolves when the node closes it (or after timeoutMs). */
function rawTcp(port: number, bytes: Uint8Array, timeoutMs = 3000): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.on('error', () => {});
  });
}

describe('a 3-layer mixnet of real processes', () => {
  it('carries packets built by @mixnet/sphinx through 3 mixes to a WebSocket client', async () => {
    const from = client.received.length;
    const messages = Array.from({ length: 20 }, (_, i) => `hello ${i}`);
    for (const m of messages) client.send(firstHop(), packet(m));
    await client.waitFor(from + 20, 10_000);
    expect(decoded(client, from).sort()).toEqual([...messages].sort());
  });

  // What the claim means: each mix adds the delay its sender chose, on top of what any packet costs
  // it (queueing for the CPU, Sphinx processing, event-loop lag). That cost grows on a busy machine,
  // so it is measured in the same run: mix 3 is asked for no delay, and its mean hold is the cost.
  it(`holds packets for their sender-chosen delays (mean μ = ${MU_MS} ms over 2,000 packets), beyond what a zero-delay packet costs`, async () => {
    const from = client.received.length;
    const read = (m: TestNode) =>
      Promise.all(
        ['mixnet_hold_seconds_sum', 'mixnet_hold_seconds_count', 'mixnet_requested_delay_seconds_sum'].map((n) =>
          metric(m, n),
        ),
      );
    const before = await Promise.all(net.mixes.map(read));
    const N = 2000;
    const delays = Array.from({ length: N }, () => [exp(MU_MS), exp(MU_MS), 0, 0]);
    const packets = delays.map((d, i) => packet(`p${i}`, d));
    // Paced at about 500 packets a second.
    for (let i = 0; i < N; i += 10) {
      for (const p of packets.slice(i, i + 10)) client.send(firstHop(), p);
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.waitFor(from + N, 30_000);
    const after = await Promise.all(net.mixes.map(read));
    const stats = net.mixes.map((mix, i) => {
      const [hold, count, requested] = (after[i] as number[]).map((x, k) => x - ((before[i] as number[])[k] ?? 0));
      return {
        id: mix.id,
        count,
        holdMs: ((hold as number) / N) * 1000,
        requestedMs: ((requested as number) / N) * 1000,
      };
    });
    const cost = (stats[2] as (typeof stats)[number]).holdMs; // mix 3: zero delay asked
    for (const [i, s] of stats.slice(0, 2).entries()) {
      expect(s.count).toBe(N);
      // The mix read exactly the delays we wrote into the headers (ns resolution).
      const chosen = delays.reduce((a, d) => a + (d[i] as number), 0) / N;
      expect(s.requestedMs).toBeCloseTo(chosen, 3);
      const excess = s.holdMs - s.requestedMs;
      const what = `${s.id}: mean hold ${s.holdMs.toFixed(2)} ms for ${s.requestedMs.toFixed(2)} ms asked; a zero-delay packet costs ${cost.toFixed(2)} ms`;
      // Not early: the scheduler releases at most its 0.5 ms tolerance before the due time.
      expect(excess, what).toBeGreaterThan(-0.5);
      // Not late beyond the cost of any packet plus 10% of μ (a delay ignored or applied twice is off by μ).
      expect(excess, what).toBeLessThan(cost + 0.1 * MU_MS);
    }
  }, 60_000);

  it('drops a replayed packet, also after the node restarts', async () => {
    const mix = net.mixes[0] as TestNode;
    const from = client.received.length;
    const p = packet('only once');
    const replays0 = await metric(mix, 'mixnet_replays_total');
    client.send(firstHop(), p);
    await client.waitFor(from + 1, 5_000);
    client.send(firstHop(), p);
    await waitUntil(async () => (await metric(mix, 'mixnet_replays_total')) === replays0 + 1, 5_000);

    expect(await net.stop(mix)).toBe(0);
    await net.start(mix);
    client.send(firstHop(), p);
    await waitUntil(async () => (await metric(mix, 'mixnet_replays_total')) === 1, 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.received.length).toBe(from + 1);
  }, 30_000);

  it('closes connections that send garbage, counts them, and keeps good traffic flowing', async () => {
    const mix = net.mixes[0] as TestNode;
    const from = client.received.length;
    const good = Array.from({ length: 50 }, (_, i) => `good ${i}`);
    const sending = (async () => {
      for (const m of good) {
        client.send(firstHop(), packet(m));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const oversized = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1);
    const truncated = encodeFrame(FrameKind.Packet, packet('cut')).subarray(0, 500);
    const random = crypto.getRandomValues(new Uint8Array(4096));
    random[0] = 0xff; // a length prefix far over the maximum
    const results = await Promise.all([
      rawTcp(mix.port, oversized),
      rawTcp(mix.port, random),
      rawTcp(mix.port, Uint8Array.of(0, 0, 0, 0)),
      rawTcp(mix.port, Uint8Array.of(0, 0, 0, 2, 0x09, 0x00)),
    ]);
    expect(results).toEqual(['closed', 'closed', 'closed', 'closed']);
    // A truncated frame stays pending until its sender gives up; then nothing is delivered from it.
    expect(await rawTcp(mix.port, truncated, 300)).toBe('open');
    const m = await net.metrics(mix);
    expect(m.get('mixnet_bad_frames_total{code="FRAME_TOO_LARGE"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('mixnet_bad_frames_total{code="FRAME_EMPTY"}')).toBeGreaterThanOrEqual(1);
    expect(m.get('mixnet_bad_frames_total{code="FRAME_UNKNOWN_KIND"}')).toBeGreaterThanOrEqual(1);
    // A well-framed packet of garbage is a Sphinx failure, counted as a drop, not a crash.
    expect(
      await rawTcp(mix.port, encodeFrame(FrameKind.Packet, crypto.getRandomValues(new Uint8Array(2413))), 300),
    ).toBe('open');
    await waitUntil(async () => (await metric(mix, 'mixnet_packets_dropped_total{reason="bad_mac"}')) >= 1, 5_000);
    await sending;
    await client.waitFor(from + good.length, 10_000);
    expect(decoded(client, from).sort()).toEqual([...good].sort());
  }, 30_000);

  it('reconnects to a next hop that was killed and restarted; traffic resumes without restarting the sender', async () => {
    const mix2 = net.mixes[1] as TestNode;
    const from = client.received.length;
    expect(await net.stop(mix2, 'SIGKILL')).toBeNull();
    const messages = Array.from({ length: 30 }, (_, i) => `while down ${i}`);
    for (const m of messages) client.send(firstHop(), packet(m));
    await new Promise((r) => setTimeout(r, 500));
    expect(client.received.length).toBe(from);
    await net.start(mix2);
    await client.waitFor(from + messages.length, 15_000);
    expect(decoded(client, from).sort()).toEqual([...messages].sort());
  }, 30_000);

  it('keeps packets for an absent client in its mailbox and hands them over when it comes back', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const away = await connectTestClient(`ws://127.0.0.1:${net.gateway.websocketPort}`, secret);
    const identity = away.identity;
    await away.close();
    const messages = Array.from({ length: 10 }, (_, i) => `while away ${i}`);
    for (const m of messages) client.send(firstHop(), packet(m, [0, 0, 0, 0], identity));
    await waitUntil(
      async () => (await metric(net.gateway, 'mixnet_packets_mailboxed_total')) >= messages.length,
      10_000,
    );
    const back = await connectTestClient(`ws://127.0.0.1:${net.gateway.websocketPort}`, secret);
    expect(back.queuedAtConnect).toBe(messages.length);
    await back.waitFor(messages.length, 5_000);
    expect(decoded(back).sort()).toEqual([...messages].sort());
    await back.close();
  }, 30_000);

  it('on SIGTERM forwards what it holds at once and exits 0', async () => {
    const mix = net.mixes[0] as TestNode;
    const from = client.received.length;
    const messages = Array.from({ length: 10 }, (_, i) => `held ${i}`);
    for (const m of messages) client.send(firstHop(), packet(m, [8_000, 0, 0, 0]));
    await waitUntil(async () => (await metric(mix, 'mixnet_scheduler_depth')) === messages.length, 5_000);
    const t0 = performance.now();
    expect(await net.stop(mix)).toBe(0);
    await client.waitFor(from + messages.length, 5_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(decoded(client, from).sort()).toEqual([...messages].sort());
    await net.start(mix);
  }, 30_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
