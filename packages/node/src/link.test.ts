/** Outbound links and the link pool (link.ts), on real loopback sockets with createPacketServer as the receiver. */
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createFrameDecoder, encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { createLink, createLinkPool, type DropReason, type Link, type LinkOptions } from './link.js';
import { createPacketServer, type PacketServer } from './packet-server.js';

const HOST = '127.0.0.1';
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await sleep(5);
  }
}

/** Packets carry their sequence number in the first 4 bytes. */
function packet(seq: number, size = 200): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, seq);
  return p;
}
const seqOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset).getUint32(0);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

interface Receiver {
  server: PacketServer;
  port: number;
  seqs: number[];
  at: Map<number, number>;
}

async function receiver(port = 0): Promise<Receiver> {
  const seqs: number[] = [];
  const at = new Map<number, number>();
  const server = createPacketServer({
    host: HOST,
    port,
    onPacket: (p) => {
      seqs.push(seqOf(p));
      at.set(seqOf(p), performance.now());
    },
  });
  const bound = await server.listen();
  cleanups.push(() => server.close({ destroy: true }));
  return { server, port: bound.port, seqs, at };
}

/** A port nothing listens on (yet): bind to 0, note the port, close. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const addr = s.address();
  await new Promise((r) => s.close(r));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

function link(opts: LinkOptions): Link & { drops: Record<DropReason, number>; states: string[] } {
  const drops: Record<DropReason, number> = {
    queue_full: 0,
    queue_bytes: 0,
    expired: 0,
    fault_loss: 0,
    fault_partition: 0,
    closed: 0,
    departed: 0,
  };
  const states: string[] = [];
  const l = createLink({
    onDrop: (reason, count) => {
      drops[reason] += count;
    },
    onStateChange: (s) => states.push(s),
    ...opts,
  });
  cleanups.push(() => l.close());
  return Object.assign(l, { drops, states });
}

/** A deterministic PRNG (mulberry32) for seeded emulation. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('link', () => {
  it('connects on first send and delivers many packets in order', async () => {
    const rx = await receiver();
    const l = link({ host: HOST, port: rx.port });
    expect(l.states).toEqual([]);
    for (const i of range(0, 5_000)) l.send(packet(i));
    await l.flush(5_000);
    await waitFor(() => rx.seqs.length === 5_000);
    expect(rx.seqs).toEqual(range(0, 5_000));
    expect(l.queued).toBe(0);
    expect(l.connected).toBe(true);
    expect(l.states).toEqual(['connecting', 'connected']);
    expect(rx.server.connections).toBe(1);
  });

  it('queues while the receiver is not up yet and delivers once it listens', async () => {
    const port = await freePort();
    const l = link({ host: HOST, port, backoff: { initialMs: 20, maxMs: 100 } });
    for (const i of range(0, 100)) l.send(packet(i));
    await sleep(250);
    expect(l.connected).toBe(false);
    expect(l.queued).toBe(100);
    expect(l.states.filter((s) => s === 'connecting').length).toBeGreaterThanOrEqual(2);
    const rx = await receiver(port);
    await waitFor(() => rx.seqs.length === 100);
    expect(rx.seqs).toEqual(range(0, 100));
    expect(l.queued).toBe(0);
  });

  it('copies a ready-made frame that has to wait, so it does not pin (or see changes to) its batch', async () => {
    const port = await freePort();
    const l = link({ host: HOST, port, backoff: { initialMs: 20, maxMs: 100 } });
    // Ten frames side by side in one buffer, as a worker's outcome batch holds them.
    const frames = range(0, 10).map((i) => encodeFrame(FrameKind.Packet, packet(i)));
    const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const [i, f] of frames.entries()) {
      batch.set(f, off);
      l.send(packet(i), batch.subarray(off, off + f.length));
      off += f.length;
    }
    batch.fill(0); // the batch is gone as far as the link is concerned
    const rx = await receiver(port);
    await waitFor(() => rx.seqs.length === 10);
    expect(rx.seqs).toEqual(range(0, 10));
  });

  it('reconnects by itself after the receiver is killed and restarted on the same port', async () => {
    const rx1 = await receiver();
    const port = rx1.port;
    const l = link({ host: HOST, port, backoff: { initialMs: 20, maxMs: 200 } });
    for (const i of range(0, 50)) l.send(packet(i));
    await waitFor(() => rx1.seqs.length === 50);

    await rx1.server.close({ destroy: true });
    await waitFor(() => !l.connected);
    for (const i of range(50, 100)) l.send(packet(i));
    await sleep(300);
    expect(l.queued).toBe(50);

    const restartedAt = performance.now();
    const rx2 = await receiver(port);
    await waitFor(() => rx2.seqs.length === 50);
    const reconnectMs = performance.now() - restartedAt;
    expect(rx2.seqs).toEqual(range(50, 100));
    expect(reconnectMs).toBeLessThan(1_000); // next attempt ≤ maxMs·(1 + jitter) away
    for (const i of range(100, 150)) l.send(packet(i));
    await waitFor(() => rx2.seqs.length === 100);
    expect(rx2.seqs).toEqual(range(50, 150));
    expect(l.states.at(-1)).toBe('connected');
    console.info(`link reconnect after restart: ${reconnectMs.toFixed(0)} ms (backoff 20..200 ms)`);
  });

  it('drops new packets past maxQueue with queue_full, and counts them', async () => {
    const port = await freePort();
    const l = link({ host: HOST, port, maxQueue: 100, backoff: { initialMs: 20, maxMs: 50 } });
    for (const i of range(0, 150)) l.send(packet(i));
    expect(l.queued).toBe(100);
    expect(l.drops.queue_full).toBe(50);
    expect(l.dropped.queue_full).toBe(50);
    const rx = await receiver(port);
    await waitFor(() => rx.seqs.length === 100);
    expect(rx.seqs).toEqual(range(0, 100)); // the oldest stay, the newest are dropped
  });

  it('drops frames queued longer than maxQueueAgeMs as expired; younger ones go out when the hop is up', async () => {
    const port = await freePort();
    const l = link({ host: HOST, port, maxQueueAgeMs: 200, backoff: { initialMs: 20, maxMs: 50 } });
    for (const i of range(0, 20)) l.send(packet(i));
    await sleep(400);
    expect(l.queued).toBe(0); // expired while the hop was down, not kept forever
    expect(l.drops.expired).toBe(20);
    for (const i of range(20, 30)) l.send(packet(i));
    const rx = await receiver(port);
    await waitFor(() => rx.seqs.length === 10);
    expect(rx.seqs).toEqual(range(20, 30));
  });

  it('applies backpressure: a receiver that stops reading grows the queue, not the socket buffer', async () => {
    const size = 30_000;
    const maxQueue = 300;
    const peers: Socket[] = [];
    const raw = createServer((s) => {
      s.pause();
      peers.push(s);
    });
    await new Promise<void>((r) => raw.listen(0, HOST, r));
    cleanups.push(() => new Promise((r) => raw.close(r)));
    cleanups.push(() => {
      for (const p of peers) p.destroy();
    });
    const port = (raw.address() as { port: number }).port;

    const l = link({ host: HOST, port, maxQueue });
    const offered = 3_000; // 90 MB, far more than loopback socket buffers hold
    let maxQueued = 0;
    for (const i of range(0, offered)) {
      l.send(packet(i, size));
      maxQueued = Math.max(maxQueued, l.queued);
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await sleep(100);
    const handedToSocket = offered - l.drops.queue_full - l.queued;
    expect(maxQueued).toBe(maxQueue);
    expect(l.queued).toBe(maxQueue);
    expect(l.drops.queue_full).toBeGreaterThan(0);
    expect(handedToSocket * size).toBeLessThan(40 * 1024 * 1024);
    console.info(
      `backpressure: ${handedToSocket} packets (${((handedToSocket * size) / 1e6).toFixed(1)} MB) in socket buffers, ` +
        `${l.queued} queued, ${l.drops.queue_full} dropped`,
    );

    // Once the receiver reads again, everything that was not dropped arrives, in order.
    const peer = peers[0];
    if (peer === undefined) throw new Error('no connection');
    const decoder = createFrameDecoder();
    const got: number[] = [];
    peer.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(new Uint8Array(chunk))) got.push(seqOf(f.body));
    });
    peer.resume();
    await l.flush(10_000);
    await waitFor(() => got.length === offered - l.drops.queue_full, 10_000);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got.slice(0, handedToSocket)).toEqual(range(0, handedToSocket));
  });

  it('flush() waits for queued packets, and rejects after its timeout while the hop is down', async () => {
    const port = await freePort();
    const l = link({ host: HOST, port, backoff: { initialMs: 20, maxMs: 50 } });
    for (const i of range(0, 10)) l.send(packet(i));
    await expect(l.flush(100)).rejects.toThrow(/timed out/);
    let flushed = false;
    const flushing = l.flush(5_000).then(() => {
      flushed = true;
    });
    await sleep(100);
    expect(flushed).toBe(false);
    const rx = await receiver(port);
    await flushing;
    expect(l.queued).toBe(0);
    await waitFor(() => rx.seqs.length === 10);
    await expect(l.flush(10)).resolves.toBeUndefined();
  });

  it('close() drops what is queued, ends the connection, and later sends drop with closed', async () => {
    const rx = await receiver();
    const l = link({ host: HOST, port: rx.port });
    l.send(packet(0));
    await waitFor(() => rx.seqs.length === 1);
    await l.close();
    expect(l.connected).toBe(false);
    await waitFor(() => rx.server.connections === 0);
    l.send(packet(1));
    expect(l.drops.closed).toBe(1);

    const port = await freePort();
    const down = link({ host: HOST, port });
    for (const i of range(0, 5)) down.send(packet(i));
    const pending = expect(down.flush(5_000)).rejects.toThrow(/closed/);
    await down.close();
    await pending;
    expect(down.drops.closed).toBe(5);
    expect(down.queued).toBe(0);
  });
});

describe('link emulation', () => {
  it('adds latency + jitter close to the configured mean', async () => {
    const rx = await receiver();
    const latencyMs = 30;
    const l = link({ host: HOST, port: rx.port, emulation: { latencyMs, jitterMs: 10, random: seeded(1) } });
    l.send(packet(0)); // connect first so the handshake is not measured
    await waitFor(() => rx.seqs.length === 1);
    const sentAt = new Map<number, number>();
    const n = 300;
    for (const i of range(1, n + 1)) {
      sentAt.set(i, performance.now());
      l.send(packet(i));
      await sleep(3);
    }
    await waitFor(() => rx.seqs.length === n + 1);
    const delays = range(1, n + 1).map((i) => (rx.at.get(i) ?? Number.NaN) - (sentAt.get(i) ?? Number.NaN));
    const mean = delays.reduce((a, b) => a + b, 0) / n;
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(latencyMs - 10);
    expect(mean).toBeGreaterThan(latencyMs - 2);
    expect(mean).toBeLessThan(latencyMs + 8); // order-keeping (due = max(previous, ...)) adds a little
    expect(rx.seqs).toEqual(range(0, n + 1));
    console.info(`emulated latency: configured 30 ± 10 ms, measured mean ${mean.toFixed(2)} ms over ${n} packets`);
  });

  it('holds each packet for the configured latency when there is no jitter', async () => {
    const rx = await receiver();
    const l = link({ host: HOST, port: rx.port, emulation: { latencyMs: 20 } });
    l.send(packet(0));
    await waitFor(() => rx.seqs.length === 1);
    const sentAt = new Map<number, number>();
    for (const i of range(1, 101)) {
      sentAt.set(i, performance.now());
      l.send(packet(i));
      await sleep(2);
    }
    await waitFor(() => rx.seqs.length === 101);
    const delays = range(1, 101).map((i) => (rx.at.get(i) ?? Number.NaN) - (sentAt.get(i) ?? Number.NaN));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(20);
    expect(mean).toBeLessThan(24);
    console.info(
      `emulated latency: configured 20 ms, measured mean ${mean.toFixed(2)} ms, max ${Math.max(...delays).toFixed(2)} ms`,
    );
  });

  it('drops packets at the configured loss rate (seeded)', async () => {
    const rx = await receiver();
    const lossRate = 0.2;
    const l = link({ host: HOST, port: rx.port, emulation: { lossRate, random: seeded(42) } });
    const n = 2_000;
    for (const i of range(0, n)) l.send(packet(i));
    await l.flush(5_000);
    await waitFor(() => rx.seqs.length === n - l.drops.fault_loss);
    const measured = l.drops.fault_loss / n;
    expect(Math.abs(measured - lossRate)).toBeLessThan(0.03); // ~3.4 sigma
    expect(rx.seqs).toEqual([...rx.seqs].sort((a, b) => a - b));
    console.info(`emulated loss: configured ${lossRate}, measured ${measured.toFixed(4)} over ${n} packets`);
  });

  it('keeps order even when jitter exceeds latency', async () => {
    const rx = await receiver();
    const l = link({ host: HOST, port: rx.port, emulation: { latencyMs: 5, jitterMs: 20, random: seeded(7) } });
    for (const i of range(0, 500)) {
      l.send(packet(i));
      if (i % 10 === 0) await sleep(1);
    }
    expect(l.queued).toBeGreaterThan(0);
    await l.flush(5_000);
    await waitFor(() => rx.seqs.length === 500);
    expect(rx.seqs).toEqual(range(0, 500));
  });
});

describe('link pool', () => {
  it('keeps one link per host:port, created on first use', async () => {
    const a = await receiver();
    const b = await receiver();
    const drops: DropReason[] = [];
    const pool = createLinkPool({ onDrop: (r) => drops.push(r) });
    cleanups.push(() => pool.close());
    expect(pool.links).toBe(0);
    for (const i of range(0, 200)) pool.send({ host: HOST, port: i % 2 === 0 ? a.port : b.port }, packet(i));
    expect(pool.links).toBe(2);
    await pool.flush(5_000);
    expect(pool.queued).toBe(0);
    await waitFor(() => a.seqs.length === 100 && b.seqs.length === 100);
    expect(a.seqs).toEqual(range(0, 200).filter((i) => i % 2 === 0));
    expect(b.seqs).toEqual(range(0, 200).filter((i) => i % 2 === 1));
    expect(a.server.connections).toBe(1);

    await pool.close();
    pool.send({ host: HOST, port: a.port }, packet(0));
    expect(drops).toEqual(['closed']);
  });

  it('keeps the bytes queued across all links under maxQueuedBytes while hops are down under load', async () => {
    const size = 2_413; // a Nym packet
    const cap = 1_000_000;
    const hops = await Promise.all(range(0, 20).map(() => freePort()));
    const drops = new Map<DropReason, number>();
    const pool = createLinkPool({
      maxQueuedBytes: cap,
      backoff: { initialMs: 20, maxMs: 100 },
      onDrop: (r, n) => drops.set(r, (drops.get(r) ?? 0) + n),
    });
    cleanups.push(() => pool.close());
    let peak = 0;
    for (const i of range(0, 10_000)) {
      pool.send({ host: HOST, port: hops[i % hops.length] as number }, packet(i, size));
      if (i % 100 === 0) await sleep(0); // let reconnect attempts run between bursts
      peak = Math.max(peak, pool.queued * (size + 5));
    }
    expect(peak).toBeLessThanOrEqual(cap);
    expect(pool.queuedBytes).toBe(pool.queued * (size + 5));
    expect(pool.queuedBytes).toBeLessThanOrEqual(cap);
    const kept = Math.floor(cap / (size + 5));
    expect(pool.queued).toBe(kept);
    expect(drops.get('queue_bytes')).toBe(10_000 - kept);
    // Once a hop is up its frames leave the budget, and new packets fit again.
    const rx = await receiver(hops[0]);
    await waitFor(() => rx.seqs.length > 0 && pool.queuedBytes < cap - 10 * (size + 5));
    pool.send({ host: HOST, port: hops[1] as number }, packet(99_999, size));
    expect(drops.get('queue_bytes')).toBe(10_000 - kept);
  });

  it('closeLinks() closes the links of departed hops, dropping their queue as departed', async () => {
    const [gone, staying] = [await freePort(), await freePort()];
    const drops = new Map<DropReason, number>();
    const pool = createLinkPool({
      backoff: { initialMs: 20, maxMs: 100 },
      onDrop: (r, n) => drops.set(r, (drops.get(r) ?? 0) + n),
    });
    cleanups.push(() => pool.close());
    for (const i of range(0, 30)) pool.send({ host: HOST, port: i < 20 ? gone : staying }, packet(i));
    expect(pool.links).toBe(2);
    await pool.closeLinks([{ host: HOST, port: gone }]);
    expect(pool.links).toBe(1);
    expect(pool.queued).toBe(10);
    expect(pool.queuedBytes).toBe(10 * 205);
    expect(drops.get('departed')).toBe(20);
  });

  it('flush() rejects when a hop cannot be reached in time', async () => {
    const port = await freePort();
    const pool = createLinkPool({});
    cleanups.push(() => pool.close());
    pool.send({ host: HOST, port }, packet(0));
    await expect(pool.flush(100)).rejects.toThrow(/1 of 1 links/);
    expect(pool.queued).toBe(1);
  });
});
