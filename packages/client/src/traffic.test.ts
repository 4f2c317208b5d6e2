/** The traffic shaper (traffic.ts) with a fake wire: order, priority, back-pressure, errors, cover, stop. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createTrafficShaper,
  type OutgoingPacket,
  type QueuedPacket,
  type TrafficShaper,
  type TrafficShaperOptions,
} from './traffic.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A packet whose first byte says what it is: 0 drop cover, 1 loop cover, 2 real (with its number). */
const packetOf = (kind: number, n = 0): OutgoingPacket => ({
  firstHop: Uint8Array.of(kind),
  packet: Uint8Array.of(kind, n >> 8, n & 0xff),
});
const kindOf = (p: OutgoingPacket) => p.firstHop[0] as number;
const numberOf = (p: OutgoingPacket) => ((p.packet[1] as number) << 8) | (p.packet[2] as number);

interface Harness {
  shaper: TrafficShaper;
  wire: OutgoingPacket[];
  errors: Error[];
  state: { canSend: boolean; accept: boolean };
  builds: number[];
  sent: number[];
  real(n: number, opts?: { fail?: boolean }): QueuedPacket;
  count(kind: number): number;
}

const shapers: TrafficShaper[] = [];
afterEach(() => {
  for (const s of shapers.splice(0)) s.stop();
});

function harness(over: Partial<TrafficShaperOptions> = {}): Harness {
  const wire: OutgoingPacket[] = [];
  const errors: Error[] = [];
  const builds: number[] = [];
  const sent: number[] = [];
  const state = { canSend: true, accept: true };
  const shaper = createTrafficShaper({
    sendGapMs: 0,
    loopGapMs: 1_000,
    cover: false,
    dropCover: () => packetOf(0),
    loopCover: () => packetOf(1),
    transmit: (p) => {
      if (!state.accept) return false;
      wire.push(p);
      return true;
    },
    canSend: () => state.canSend,
    onError: (err) => errors.push(err),
    ...over,
  });
  shapers.push(shaper);
  return {
    shaper,
    wire,
    errors,
    state,
    builds,
    sent,
    real: (n, opts) => ({
      build: () => {
        builds.push(n);
        if (opts?.fail) throw new Error(`cannot build ${n}`);
        return packetOf(2, n);
      },
      sent: () => {
        sent.push(n);
      },
    }),
    count: (kind) => wire.filter((p) => kindOf(p) === kind).length,
  };
}

describe('createTrafficShaper without cover or pacing', () => {
  it('transmits everything queued, in order, and runs each sent callback once', async () => {
    const h = harness();
    const n = 300; // more than one drain slice of 64
    for (let i = 0; i < n; i++) h.shaper.enqueue(h.real(i));
    await vi.waitFor(() => expect(h.wire).toHaveLength(n));
    expect(h.wire.map(numberOf)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(h.sent).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(h.shaper.queued).toBe(0);
    expect(h.errors).toEqual([]);
    // Nothing but real packets: no cover when it is off.
    await tick(20);
    expect(h.wire).toHaveLength(n);
  });

  it('sends priority entries first', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.shaper.enqueue(h.real(i));
    h.shaper.enqueue(h.real(100), { priority: true });
    await vi.waitFor(() => expect(h.wire).toHaveLength(6));
    expect(h.wire.map(numberOf)).toEqual([100, 0, 1, 2, 3, 4]);
  });

  it('transmits nothing while canSend() is false, and loses nothing', async () => {
    const h = harness();
    h.state.canSend = false;
    for (let i = 0; i < 10; i++) h.shaper.enqueue(h.real(i));
    await tick(30);
    expect(h.wire).toEqual([]);
    expect(h.builds).toEqual([]);
    expect(h.sent).toEqual([]);
    expect(h.shaper.queued).toBe(10);
    h.state.canSend = true;
    h.shaper.kick();
    await vi.waitFor(() => expect(h.wire).toHaveLength(10));
    expect(h.wire.map(numberOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps a packet the wire refused and sends it later, calling sent only once', async () => {
    const h = harness();
    h.state.accept = false;
    for (let i = 0; i < 3; i++) h.shaper.enqueue(h.real(i));
    await vi.waitFor(() => expect(h.builds.length).toBeGreaterThan(0));
    expect(h.wire).toEqual([]);
    expect(h.sent).toEqual([]);
    expect(h.shaper.queued).toBe(3);
    h.state.accept = true;
    h.shaper.kick();
    await vi.waitFor(() => expect(h.wire).toHaveLength(3));
    expect(h.wire.map(numberOf)).toEqual([0, 1, 2]);
    expect(h.sent).toEqual([0, 1, 2]);
  });

  it('drops a packet whose build() throws, reports it, and goes on with the queue', async () => {
    const h = harness();
    h.shaper.enqueue(h.real(0));
    h.shaper.enqueue(h.real(1, { fail: true }));
    h.shaper.enqueue(h.real(2));
    h.shaper.enqueue(h.real(3, { fail: true }));
    h.shaper.enqueue(h.real(4));
    await vi.waitFor(() => expect(h.wire).toHaveLength(3));
    expect(h.wire.map(numberOf)).toEqual([0, 2, 4]);
    expect(h.sent).toEqual([0, 2, 4]);
    expect(h.errors.map((e) => e.message)).toEqual(['cannot build 1', 'cannot build 3']);
    expect(h.shaper.queued).toBe(0);
    // Built once each: a failing packet is not retried forever.
    expect(h.builds.filter((b) => b === 1)).toHaveLength(1);
  });

  it('stop() stops everything, even a drain already scheduled', async () => {
    const h = harness();
    for (let i = 0; i < 10; i++) h.shaper.enqueue(h.real(i));
    h.shaper.stop();
    await tick(30);
    expect(h.wire).toEqual([]);
    h.shaper.enqueue(h.real(10));
    h.shaper.kick();
    await tick(30);
    expect(h.wire).toEqual([]);
  });

  it('stop() while blocked on canSend() sends nothing afterwards', async () => {
    const h = harness();
    h.state.canSend = false;
    for (let i = 0; i < 5; i++) h.shaper.enqueue(h.real(i));
    await tick(15);
    h.shaper.stop();
    h.state.canSend = true;
    await tick(40);
    expect(h.wire).toEqual([]);
  });
});

describe('createTrafficShaper with cover', () => {
  const cover = { cover: true, sendGapMs: 2, loopGapMs: 2 };

  it('sends drop cover and loop cover while the queue is empty', async () => {
    const h = harness(cover);
    await vi.waitFor(() => {
      expect(h.count(0)).toBeGreaterThan(0);
      expect(h.count(1)).toBeGreaterThan(0);
    });
    expect(h.count(2)).toBe(0);
  });

  it('sends real packets in the send stream, in order, each once', async () => {
    const h = harness(cover);
    for (let i = 0; i < 5; i++) h.shaper.enqueue(h.real(i));
    h.shaper.enqueue(h.real(9, { fail: true }));
    h.shaper.enqueue(h.real(5));
    await vi.waitFor(() => expect(h.count(2)).toBe(6));
    expect(h.wire.filter((p) => kindOf(p) === 2).map(numberOf)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.sent).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.errors).toHaveLength(1);
  });

  it('sends no cover while canSend() is false', async () => {
    const h = harness(cover);
    h.state.canSend = false;
    h.shaper.enqueue(h.real(0));
    await tick(40);
    expect(h.wire).toEqual([]);
    h.state.canSend = true;
    await vi.waitFor(() => expect(h.count(2)).toBe(1));
  });

  it('reports a cover packet that cannot be built and keeps going', async () => {
    let failures = 0;
    const h = harness({
      ...cover,
      loopCover: () => {
        failures++;
        throw new Error('no loop');
      },
    });
    await vi.waitFor(() => {
      expect(failures).toBeGreaterThan(2);
      expect(h.count(0)).toBeGreaterThan(2);
    });
    expect(h.errors.length).toBeGreaterThanOrEqual(3);
    expect(h.errors.every((e) => e.message === 'no loop')).toBe(true);
  });

  it('tells the owner of a real packet that could not be built, once, and sends the rest', async () => {
    const h = harness();
    const failed: string[] = [];
    h.shaper.enqueue({ ...h.real(1, { fail: true }), failed: (err) => failed.push(err.message) });
    h.shaper.enqueue(h.real(2));
    await vi.waitFor(() => expect(h.count(2)).toBe(1));
    expect(failed).toEqual(['cannot build 1']);
    expect(h.errors.map((e) => e.message)).toEqual(['cannot build 1']);
  });

  it('stop() stops both streams', async () => {
    const h = harness(cover);
    await vi.waitFor(() => expect(h.wire.length).toBeGreaterThan(3));
    h.shaper.stop();
    const after = h.wire.length;
    h.shaper.enqueue(h.real(0));
    await tick(40);
    expect(h.wire).toHaveLength(after);
  });
});
