/**
 * Issue 14 on real processes: 3 mixes and a gateway on loopback (test-support/network.ts), attacked
 * the way the review's proofs of concept did. Each test names its finding.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createPacket, encodeNodeAddress, generateKeyPair, recoverMessage } from '@mixnet/sphinx';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestClient, type TestClient } from './test-support/client.js';
import { createTestNetwork, type TestNetwork, type TestNode } from './test-support/network.js';
import { versionedForwardPacket } from './test-support/versioned-packet.js';

const GATEWAY_QUEUE_BYTES = 300_000;
const MIX1_MAX_HELD = 20;

let net: TestNetwork;
let client: TestClient;
const wsUrl = () => `ws://127.0.0.1:${net.gateway.websocketPort}`;

beforeAll(async () => {
  net = await createTestNetwork({
    layers: 3,
    workers: 1,
    extra: (node, base) => {
      if (node.role === 'gateway') {
        return {
          websocket: {
            ...(base.websocket as { host: string; port: number }),
            maxConnections: 12,
            maxConnectionsPerIp: 6,
            maxBufferedBytes: 32 * 1024,
          },
          links: { maxQueuedBytes: GATEWAY_QUEUE_BYTES },
        };
      }
      if (node.layer === 1) return { scheduler: { maxPackets: MIX1_MAX_HELD }, inbound: { firstFrameTimeoutMs: 300 } };
      return {};
    },
  });
  client = await connectTestClient(wsUrl());
}, 60_000);

afterAll(async () => {
  await client?.close();
  await net?.close();
});

const mix = (i: number) => net.mixes[i] as TestNode;
const metric = async (node: TestNode, name: string) => (await net.metrics(node)).get(name) ?? 0;
const dropped = (node: TestNode, reason: string) => metric(node, `mixnet_packets_dropped_total{reason="${reason}"}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A packet for the client through all three mixes and the gateway. */
function routed(message: string, delaysMs = [0, 0, 0, 0], to = client.identity): Uint8Array {
  return createPacket({
    route: [...net.mixes, net.gateway].map((n) => ({ address: n.address, publicKey: n.publicKey })),
    delaysNs: delaysMs.map((d) => BigInt(d * 1e6)),
    destination: to,
    message: new TextEncoder().encode(message),
  });
}

/** A final-hop packet for `destination`, as anyone can send it to the gateway's packet port. */
const finalHop = (destination: Uint8Array, message = 'x', payloadSize?: number) =>
  createPacket({
    route: [{ address: net.gateway.address, publicKey: net.gateway.publicKey }],
    delaysNs: [0n],
    destination,
    message: new TextEncoder().encode(message),
    ...(payloadSize ? { payloadSize } : {}),
  });

/** Writes frames on one TCP connection to `port` from `localAddress`; resolves when written. */
function blast(port: number, packets: Uint8Array[], localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress }, () => {
      for (const p of packets) s.write(encodeFrame(FrameKind.Packet, p));
      s.end(() => resolve(s));
    });
    s.on('error', reject);
  });
}

/** A TCP listener that records every connection and byte (the review's "redis" on 127.0.0.1). */
async function listener(): Promise<{ server: Server; port: number; connections: number; bytes: number }> {
  const state = { server: createServer(), port: 0, connections: 0, bytes: 0 };
  state.server.on('connection', (s) => {
    state.connections++;
    s.on('data', (d: Buffer) => {
      state.bytes += d.length;
    });
  });
  await new Promise<void>((r) => state.server.listen(0, '127.0.0.1', r));
  state.port = (state.server.address() as { port: number }).port;
  return state;
}

describe('issue 14 hardening, on real processes', () => {
  it('#1: neither a gateway SEND nor a Sphinx next hop reaches a host:port outside the network', async () => {
    const redis = await listener();
    try {
      const target = encodeNodeAddress({ host: '127.0.0.1', port: redis.port });
      const gw0 = await dropped(net.gateway, 'unknown_next_hop');
      client.send(target, new TextEncoder().encode('\r\nSET pwned 1\r\nFLUSHALL\r\n'));
      const viaMix = createPacket({
        route: [
          { address: mix(0).address, publicKey: mix(0).publicKey },
          { address: target, publicKey: generateKeyPair().publicKey },
        ],
        delaysNs: [0n, 0n],
        destination: new Uint8Array(32),
        message: new TextEncoder().encode('\r\nSET pwned 1\r\nFLUSHALL\r\n'),
      });
      const mix0 = await dropped(mix(0), 'unknown_next_hop');
      client.send(mix(0).address, viaMix);
      // A packet for the client on the same path, sent after: once it is through, so are the two above.
      const from = client.received.length;
      client.send(mix(0).address, routed('still works'));
      await client.waitFor(from + 1, 10_000);
      expect(new TextDecoder().decode(recoverMessage(client.received[from]?.payload as Uint8Array))).toBe(
        'still works',
      );
      await sleep(200);
      expect(redis.connections).toBe(0);
      expect(redis.bytes).toBe(0);
      expect(await dropped(net.gateway, 'unknown_next_hop')).toBe(gw0 + 1);
      expect(await dropped(mix(0), 'unknown_next_hop')).toBe(mix0 + 1);
    } finally {
      redis.server.close();
    }
  }, 30_000);

  it('#4: a flood of final-hop packets to 3,000 destinations creates no mailbox; non-members cannot connect', async () => {
    const flood = Array.from({ length: 3_000 }, (_, i) => finalHop(randomBytes(32), `flood ${i}`));
    const before = await dropped(net.gateway, 'unregistered');
    await blast(net.gateway.port, flood);
    await waitUntil(async () => (await dropped(net.gateway, 'unregistered')) === before + 3_000, 30_000);
    expect(await metric(net.gateway, 'mixnet_mailboxes')).toBe(0);
    expect(await metric(net.gateway, 'mixnet_packets_mailboxed_total')).toBe(0);
    // From a host that is no member, nothing is even read.
    const received = await metric(net.gateway, 'mixnet_packets_received_total');
    const outsider = await blast(net.gateway.port, flood.slice(0, 10), '127.0.0.2').catch(() => undefined);
    outsider?.destroy();
    await waitUntil(
      async () =>
        (await metric(net.gateway, 'mixnet_connections_refused_total{kind="tcp_in",reason="not_member"}')) >= 1,
      5_000,
    );
    expect(await metric(net.gateway, 'mixnet_packets_received_total')).toBe(received);
  }, 60_000);

  it('#10: no message is lost when a mailbox write fails; it is kept, retried and delivered', async () => {
    const secret = randomBytes(32);
    const away = await connectTestClient(wsUrl(), secret); // registers the address
    await away.close();
    const hex = Buffer.from(away.identity).toString('hex');
    // A file where the client's mailbox folder goes: every write fails (as EMFILE would) until it is gone.
    const blocker = join(net.dir, 'gateway-1', 'data', 'mailbox', hex);
    writeFileSync(blocker, 'in the way');
    const messages = Array.from({ length: 10 }, (_, i) => `kept ${i}`);
    for (const m of messages) client.send(mix(0).address, routed(m, [0, 0, 0, 0], away.identity));
    await waitUntil(async () => (await metric(net.gateway, 'mixnet_mailbox_write_errors_total')) >= 10, 10_000);
    expect(await metric(net.gateway, 'mixnet_mailbox_pending_writes')).toBeGreaterThan(0);
    rmSync(blocker);
    await waitUntil(async () => (await metric(net.gateway, 'mixnet_packets_mailboxed_total')) >= 10, 10_000);
    expect(await dropped(net.gateway, 'mailbox_error')).toBe(0);
    const back = await connectTestClient(wsUrl(), secret);
    await back.waitFor(10, 10_000);
    expect(back.received.map((r) => new TextDecoder().decode(recoverMessage(r.payload))).sort()).toEqual(
      [...messages].sort(),
    );
    await back.close();
  }, 30_000);

  it('#9: a client that stops reading gets its excess through the mailbox, not gateway memory', async () => {
    const slow = await connectTestClient(wsUrl());
    slow.pause();
    const N = 800; // 16 KiB payloads: ~13 MB, far past what the kernel's socket buffers absorb
    const spills0 = await metric(net.gateway, 'mixnet_client_spills_total');
    await blast(
      net.gateway.port,
      Array.from({ length: N }, (_, i) => finalHop(slow.identity, `slow ${i}`, 16_401)),
    );
    await waitUntil(async () => (await metric(net.gateway, 'mixnet_client_spills_total')) > spills0, 20_000);
    slow.resume();
    await slow.waitFor(N, 60_000);
    const got = new Set(slow.received.map((r) => new TextDecoder().decode(recoverMessage(r.payload))));
    expect(got.size).toBe(N);
    await slow.close();
  }, 90_000);

  it('#10: caps WebSocket connections per IP and in total; other IPs get in until the total', async () => {
    await sleep(200); // closed clients of earlier tests are gone
    const opened: TestClient[] = [];
    try {
      // The suite's client is one of the six from 127.0.0.1.
      for (let i = 0; i < 5; i++) opened.push(await connectTestClient(wsUrl()));
      await expect(connectTestClient(wsUrl())).rejects.toThrow();
      for (let i = 0; i < 6; i++)
        opened.push(await connectTestClient(wsUrl(), undefined, { localAddress: '127.0.0.2' }));
      await expect(connectTestClient(wsUrl(), undefined, { localAddress: '127.0.0.3' })).rejects.toThrow();
      const m = await net.metrics(net.gateway);
      expect(m.get('mixnet_connections_refused_total{kind="clients",reason="ip_full"}')).toBe(1);
      expect(m.get('mixnet_connections_refused_total{kind="clients",reason="server_full"}')).toBe(1);
    } finally {
      await Promise.all(opened.map((c) => c.close()));
    }
  }, 30_000);

  it('#12: an idle connection to the packet port is closed before its first frame', async () => {
    const t0 = Date.now();
    const idle = connect({ host: '127.0.0.1', port: mix(0).port });
    idle.on('error', () => {});
    await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    expect(Date.now() - t0).toBeLessThan(5_000); // 300 ms configured; the old idle timeout was 5 min
    expect(
      await metric(mix(0), 'mixnet_connections_refused_total{kind="tcp_in",reason="first_frame_timeout"}'),
    ).toBeGreaterThanOrEqual(1);
  }, 15_000);

  it('#13: a mix refuses legacy Sphinx versions 1 and 257 (worker path)', async () => {
    const before = await dropped(mix(0), 'legacy_version');
    for (const version of [1, 257]) {
      client.send(
        mix(0).address,
        versionedForwardPacket({ publicKey: mix(0).publicKey, nextAddress: mix(1).address, version }),
      );
    }
    await waitUntil(async () => (await dropped(mix(0), 'legacy_version')) === before + 2, 5_000);
  }, 15_000);

  it(`#16: a mix holds at most ${MIX1_MAX_HELD} packets (configured) and counts the rest as scheduler_full`, async () => {
    const from = client.received.length;
    const full0 = await dropped(mix(0), 'scheduler_full');
    for (let i = 0; i < 50; i++) client.send(mix(0).address, routed(`held ${i}`, [3_000, 0, 0, 0]));
    await waitUntil(async () => (await dropped(mix(0), 'scheduler_full')) === full0 + 30, 10_000);
    expect(await metric(mix(0), 'mixnet_scheduler_depth')).toBe(MIX1_MAX_HELD);
    await client.waitFor(from + MIX1_MAX_HELD, 15_000);
  }, 30_000);

  it('#2: with its next hop down under load, the gateway queues at most maxQueuedBytes and drops the rest', async () => {
    expect(await net.stop(mix(0), 'SIGKILL')).toBeNull();
    const packets = Array.from({ length: 400 }, (_, i) => routed(`queued ${i}`));
    const before = await dropped(net.gateway, 'queue_bytes');
    for (const p of packets) client.send(mix(0).address, p);
    const frame = (packets[0] as Uint8Array).length + 5;
    const kept = Math.floor(GATEWAY_QUEUE_BYTES / frame);
    await waitUntil(async () => (await dropped(net.gateway, 'queue_bytes')) === before + 400 - kept, 10_000);
    const queued = await metric(net.gateway, 'mixnet_link_queue_bytes');
    expect(queued).toBeLessThanOrEqual(GATEWAY_QUEUE_BYTES);
    expect(queued).toBe(kept * frame);
    await net.start(mix(0));
    // What was queued is what the restarted mix gets (it holds at most 20 of a burst, so count its input).
    await waitUntil(async () => (await metric(mix(0), 'mixnet_packets_received_total')) === kept, 20_000);
    expect(await metric(net.gateway, 'mixnet_link_queue_bytes')).toBe(0);
  }, 60_000);
});
