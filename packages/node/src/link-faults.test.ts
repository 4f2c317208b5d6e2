/** Live fault rules on real links (link.ts + faults.ts), with createPacketServer as the receiver. */
import { performance } from 'node:perf_hooks';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { createFaultTable } from './faults.js';
import { createLink, createLinkPool, type DropReason, type LinkOptions } from './link.js';
import { createPacketServer } from './packet-server.js';

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

function packet(seq: number, size = 400): Uint8Array {
  const p = new Uint8Array(size);
  new DataView(p.buffer).setUint32(0, seq);
  return p;
}

async function receiver() {
  const got: Uint8Array[] = [];
  const server = createPacketServer({ host: HOST, port: 0, onPacket: (p) => got.push(p.slice()) });
  const { port } = await server.listen();
  cleanups.push(() => server.close({ destroy: true }));
  return { port, got };
}

function link(opts: LinkOptions) {
  const drops: Partial<Record<DropReason, number>> = {};
  const l = createLink({ onDrop: (r, n) => (drops[r] = (drops[r] ?? 0) + n), ...opts });
  cleanups.push(() => l.close());
  return Object.assign(l, { drops });
}

describe('link faults', () => {
  it('partition and loss drop with their reasons; clearing lets packets through again', async () => {
    const rx = await receiver();
    const faults = createFaultTable();
    const l = link({ host: HOST, port: rx.port, faults, peer: () => 'mix-2-1' });
    l.send(packet(0));
    await waitFor(() => rx.got.length === 1);
    faults.set([{ partition: true, peers: ['mix-2-1'] }]);
    for (let i = 1; i <= 10; i++) l.send(packet(i));
    faults.set([{ lossRate: 1, direction: 'out' }]);
    for (let i = 11; i <= 20; i++) l.send(packet(i));
    expect(l.drops).toEqual({ fault_partition: 10, fault_loss: 10 });
    faults.clear();
    l.send(packet(21));
    await waitFor(() => rx.got.length === 2);
    expect(new DataView(rx.got[1]?.buffer as ArrayBuffer).getUint32(0)).toBe(21);
  });

  it('leaves links to other peers and the other direction alone', async () => {
    const rx = await receiver();
    const faults = createFaultTable();
    faults.set([
      { partition: true, peers: ['mix-9-9'] },
      { partition: true, direction: 'in' },
    ]);
    const l = link({ host: HOST, port: rx.port, faults, peer: () => 'mix-2-1' });
    for (let i = 0; i < 5; i++) l.send(packet(i));
    await waitFor(() => rx.got.length === 5);
    expect(l.drops).toEqual({});
  });

  it('learns its peer late: a rule naming it applies once membership knows the id', async () => {
    const rx = await receiver();
    const faults = createFaultTable();
    faults.set([{ partition: true, peers: ['late'] }]);
    let peer: string | undefined;
    const l = link({ host: HOST, port: rx.port, faults, peer: () => peer });
    l.send(packet(0));
    await waitFor(() => rx.got.length === 1);
    peer = 'late';
    l.send(packet(1));
    expect(l.drops).toEqual({ fault_partition: 1 });
  });

  it('corrupts a copy, never the caller’s frame, and only a header byte', async () => {
    const rx = await receiver();
    const faults = createFaultTable();
    faults.set([{ corruptRate: 1 }]);
    const l = link({ host: HOST, port: rx.port, faults });
    const p = packet(7);
    const frame = encodeFrame(FrameKind.Packet, p);
    const before = frame.slice();
    l.send(p, frame);
    await waitFor(() => rx.got.length === 1);
    expect(frame).toEqual(before);
    const got = rx.got[0] as Uint8Array;
    const diff = [...got.keys()].filter((i) => got[i] !== p[i]);
    expect(diff.length).toBe(1);
    expect(diff[0]).toBeGreaterThanOrEqual(32); // gamma or beta, behind alpha
    expect(diff[0]).toBeLessThan(32 + 16 + 300);
  });

  it('caps bandwidth: a backlog takes at least its size over the rate, and keeps order', async () => {
    const rx = await receiver();
    const faults = createFaultTable();
    const bandwidthBps = 100_000; // 250 frames of ~405 bytes ≈ 1 s
    faults.set([{ bandwidthBps }]);
    const l = link({ host: HOST, port: rx.port, faults });
    const n = 250;
    const started = performance.now();
    for (let i = 0; i < n; i++) l.send(packet(i));
    await waitFor(() => rx.got.length === n, 10_000);
    const elapsed = performance.now() - started;
    const bytes = n * (400 + 5);
    // The burst is 20 ms worth; a busy machine only makes it slower, never faster.
    expect(elapsed).toBeGreaterThanOrEqual(((bytes - bandwidthBps * 0.02) / bandwidthBps) * 1000 - 5);
    expect(rx.got.map((g) => new DataView(g.buffer).getUint32(0))).toEqual([...Array(n).keys()]);
  });

  it('shares one table across a pool, resolving each link’s peer by host and port', async () => {
    const a = await receiver();
    const b = await receiver();
    const faults = createFaultTable();
    faults.set([{ partition: true, peers: ['b'] }]);
    const drops: DropReason[] = [];
    const pool = createLinkPool({
      faults,
      peerOf: (_host, port) => (port === a.port ? 'a' : port === b.port ? 'b' : undefined),
      onDrop: (r) => drops.push(r),
    });
    cleanups.push(() => pool.close());
    for (let i = 0; i < 3; i++) {
      pool.send({ host: HOST, port: a.port }, packet(i));
      pool.send({ host: HOST, port: b.port }, packet(i));
    }
    await waitFor(() => a.got.length === 3);
    expect(b.got.length).toBe(0);
    expect(drops).toEqual(['fault_partition', 'fault_partition', 'fault_partition']);
  });
});
