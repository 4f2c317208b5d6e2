/** The inbound TCP packet server (packet-server.ts), on real loopback sockets. */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createPacketServer, FRAME_TRUNCATED, type PacketServer, type PacketServerOptions } from './packet-server.js';

const HOST = '127.0.0.1';
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Started {
  server: PacketServer;
  port: number;
  packets: { packet: Uint8Array; from: string }[];
  bad: { code: string; from: string }[];
  counts: number[];
}

async function start(extra: Partial<PacketServerOptions> = {}): Promise<Started> {
  const packets: Started['packets'] = [];
  const bad: Started['bad'] = [];
  const counts: number[] = [];
  const server = createPacketServer({
    host: HOST,
    port: 0,
    onPacket: (packet, from) => packets.push({ packet, from }),
    onBadFrame: (code, from) => bad.push({ code, from }),
    onConnectionsChange: (open) => counts.push(open),
    ...extra,
  });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ destroy: true }));
  return { server, port, packets, bad, counts };
}

async function dial(port: number, localAddress?: string): Promise<Socket & { gone: Promise<void>; from: string }> {
  const s = connect({ host: HOST, port, ...(localAddress ? { localAddress } : {}) });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.on('error', () => {});
  s.resume();
  const gone = new Promise<void>((r) => s.once('close', () => r()));
  cleanups.push(() => void s.destroy());
  return Object.assign(s, { gone, from: `${localAddress ?? HOST}:${s.localPort}` });
}

const packet = (n: number, size = 64) => {
  const p = new Uint8Array(size).fill(n & 0xff);
  new DataView(p.buffer).setUint32(0, n);
  return p;
};
const frame = (n: number, size?: number) => encodeFrame(FrameKind.Packet, packet(n, size));

describe('packet server', () => {
  it('delivers frames from several connections, whole or split into single bytes', async () => {
    const srv = await start();
    const a = await dial(srv.port);
    const b = await dial(srv.port);
    a.write(frame(1, 33_000));
    const f2 = frame(2);
    for (const byte of f2) b.write(Uint8Array.of(byte));
    await waitFor(() => srv.packets.length === 2);
    const byId = new Map(srv.packets.map((p) => [new DataView(p.packet.buffer, p.packet.byteOffset).getUint32(0), p]));
    expect(byId.get(1)?.packet).toEqual(packet(1, 33_000));
    expect(byId.get(1)?.from).toBe(a.from);
    expect(byId.get(2)?.packet).toEqual(packet(2));
    expect(byId.get(2)?.from).toBe(b.from);
    // Packet 2 came a byte per write, so it was assembled across reads in a buffer of its own frame's
    // size (kind byte + body), or arrived whole in one small read: never inside a pooled chunk.
    expect(byId.get(2)?.packet.buffer.byteLength).toBeLessThanOrEqual(69);
    expect(srv.bad).toEqual([]);
  });

  const oversized = new Uint8Array([0x00, 0x01, 0x00, 0x00, FrameKind.Packet]); // 64 KiB > 40 KiB
  const cases: [string, Uint8Array, string, boolean][] = [
    [
      'garbage bytes (an HTTP request)',
      new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      'FRAME_TOO_LARGE',
      false,
    ],
    ['a frame of unknown kind', new Uint8Array([0, 0, 0, 3, 0x7f, 1, 2]), 'FRAME_UNKNOWN_KIND', false],
    ['an oversized length prefix', oversized, 'FRAME_TOO_LARGE', false],
    ['a zero length', new Uint8Array([0, 0, 0, 0, 1, 2, 3]), 'FRAME_EMPTY', false],
    ['a frame cut off mid-body, then close', frame(9).subarray(0, 30), FRAME_TRUNCATED, true],
  ];
  for (const [what, bytes, code, endAfter] of cases) {
    it(`closes only the connection that sent ${what} (${code})`, async () => {
      const srv = await start();
      const good = await dial(srv.port);
      good.write(frame(1));
      await waitFor(() => srv.packets.length === 1);

      const bad = await dial(srv.port);
      await waitFor(() => srv.server.connections === 2);
      bad.write(bytes);
      if (endAfter) bad.end();
      await bad.gone;
      await waitFor(() => srv.bad.length === 1);
      expect(srv.bad).toEqual([{ code, from: bad.from }]);
      await waitFor(() => srv.server.connections === 1);

      good.write(frame(2));
      good.write(frame(3));
      await waitFor(() => srv.packets.length === 3);
      expect(srv.packets.map((p) => p.from)).toEqual([good.from, good.from, good.from]);
      expect(good.destroyed).toBe(false);
    });
  }

  it('survives arbitrary bytes on one connection while another keeps delivering', async () => {
    const srv = await start({ maxFrameSize: 1024 });
    const good = await dial(srv.port);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        async (chunks) => {
          const bad = await dial(srv.port);
          for (const c of chunks) bad.write(c);
          bad.end();
          await bad.gone;
          sent += 1;
          good.write(frame(sent));
          await waitFor(() => srv.packets.filter((p) => p.from === good.from).length === sent);
        },
      ),
      { numRuns: 40 },
    );
    await waitFor(() => srv.server.connections === 1);
    for (const b of srv.bad)
      expect(['FRAME_TOO_LARGE', 'FRAME_EMPTY', 'FRAME_UNKNOWN_KIND', FRAME_TRUNCATED]).toContain(b.code);
  });

  it('reports the number of open connections', async () => {
    const srv = await start();
    const a = await dial(srv.port);
    const b = await dial(srv.port);
    const c = await dial(srv.port);
    await waitFor(() => srv.counts.length === 3);
    expect(srv.server.connections).toBe(3);
    a.end();
    b.destroy();
    await waitFor(() => srv.counts.length === 5);
    expect(srv.counts).toEqual([1, 2, 3, 2, 1]);
    expect(srv.server.connections).toBe(1);
    c.end();
    await waitFor(() => srv.server.connections === 0);
    expect(srv.counts.at(-1)).toBe(0);
  });

  it('closes connections idle longer than idleTimeoutMs, not busy ones', async () => {
    const srv = await start({ idleTimeoutMs: 150 });
    const idle = await dial(srv.port);
    const busy = await dial(srv.port);
    const t0 = Date.now();
    const ticker = setInterval(() => busy.write(frame(1)), 40);
    cleanups.push(() => clearInterval(ticker));
    await idle.gone;
    const idleFor = Date.now() - t0;
    expect(idleFor).toBeGreaterThanOrEqual(140);
    expect(idleFor).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(busy.destroyed).toBe(false);
    expect(srv.server.connections).toBe(1);
    expect(srv.bad).toEqual([]);
  });

  it('refuses connections beyond maxConnections', async () => {
    const srv = await start({ maxConnections: 2 });
    await dial(srv.port);
    await dial(srv.port);
    await waitFor(() => srv.server.connections === 2);
    const third = await dial(srv.port);
    await third.gone;
    expect(srv.server.connections).toBe(2);
  });

  it('closes a connection that completes no frame within firstFrameTimeoutMs; one that sent a Hello stays', async () => {
    const refused: string[] = [];
    const srv = await start({ firstFrameTimeoutMs: 200, onRefused: (reason) => refused.push(reason) });
    const silent = await dial(srv.port);
    const trickle = await dial(srv.port);
    trickle.write(frame(1).subarray(0, 3)); // a frame begun, never finished
    const hello = await dial(srv.port);
    hello.write(encodeFrame(FrameKind.Hello, new TextEncoder().encode('mix-1')));
    await Promise.all([silent.gone, trickle.gone]);
    expect(refused).toEqual(['first_frame_timeout', 'first_frame_timeout']);
    await new Promise((r) => setTimeout(r, 300));
    expect(hello.destroyed).toBe(false);
    hello.write(frame(2));
    await waitFor(() => srv.packets.length === 1);
  });

  it('caps connections per IP; another IP still gets in', async () => {
    const refused: { reason: string; from: string }[] = [];
    const srv = await start({ maxConnectionsPerIp: 2, onRefused: (reason, from) => refused.push({ reason, from }) });
    await dial(srv.port);
    await dial(srv.port);
    await waitFor(() => srv.server.connections === 2);
    const third = await dial(srv.port);
    await third.gone;
    const other = await dial(srv.port, '127.0.0.2');
    other.write(frame(5));
    await waitFor(() => srv.packets.length === 1);
    expect(srv.packets[0]?.from).toBe(other.from);
    expect(srv.server.connections).toBe(3);
    expect(refused).toEqual([{ reason: 'ip_full', from: third.from }]);
  });

  it('serves only member hosts: a flood from a non-member takes none of the slots members need', async () => {
    const refused: string[] = [];
    const srv = await start({
      maxConnections: 4,
      allowPeer: (ip) => ip === HOST,
      onRefused: (reason) => refused.push(reason),
    });
    const outsiders = await Promise.all(Array.from({ length: 20 }, () => dial(srv.port, '127.0.0.2')));
    for (const o of outsiders) o.write(frame(99));
    await Promise.all(outsiders.map((o) => o.gone));
    const members = await Promise.all(Array.from({ length: 4 }, () => dial(srv.port)));
    for (const [i, m] of members.entries()) m.write(frame(i));
    await waitFor(() => srv.packets.length === 4);
    expect(srv.packets.map((p) => p.from).sort()).toEqual(members.map((m) => m.from).sort());
    expect(refused).toEqual(Array(20).fill('not_member'));
  });

  it('close() stops accepting; close({ destroy }) also ends open connections', async () => {
    const srv = await start();
    const open = await dial(srv.port);
    await srv.server.close();
    await expect(dial(srv.port)).rejects.toThrow(/ECONNREFUSED/);
    open.write(frame(7));
    await waitFor(() => srv.packets.length === 1);
    await srv.server.close({ destroy: true });
    expect(srv.server.connections).toBe(0);
    await open.gone;
    expect(srv.bad).toEqual([]);
  });

  it('rejects listen() on a port in use', async () => {
    const srv = await start();
    const other = createPacketServer({ host: HOST, port: srv.port, onPacket: () => {} });
    await expect(other.listen()).rejects.toThrow(/EADDRINUSE/);
    await other.close();
  });
});
