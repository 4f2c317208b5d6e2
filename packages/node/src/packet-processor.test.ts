/**
 * Packets under several keys (docs/directory.md §6): each is tried with the keys in order and
 * reported with the rotation that opened it; key changes reach the worker threads; a packet no
 * held key opens is INVALID_HEADER. Inline (workers: 0) and with a worker thread.
 */
import { createPacket, generateKeyPair } from '@mixnet/sphinx';
import { describe, expect, it } from 'vitest';
import { createPacketProcessor, type ProcessOutcome, processOne } from './packet-processor.js';

const hop = () => ({ ...generateKeyPair(), address: new Uint8Array(32) });
const keys = [0, 1, 2].map((rotation) => ({ rotation, ...generateKeyPair() }));
const packetFor = (publicKey: Uint8Array) =>
  createPacket({
    route: [{ address: new Uint8Array(32), publicKey }, hop()],
    delaysNs: [0n, 0n],
    destination: new Uint8Array(32),
    message: new Uint8Array(10),
  });
const k = (i: number) => keys[i] as (typeof keys)[number];
const summary = (o: ProcessOutcome) => (o.kind === 'error' ? o.code : `${o.kind}@${o.rotation}`);

describe('processOne with several keys', () => {
  it('reports the rotation whose key opened the packet, trying them in order', () => {
    const held = [k(1), k(0), k(2)];
    for (const i of [0, 1, 2]) expect(summary(processOne(packetFor(k(i).publicKey), held))).toBe(`forward@${i}`);
    expect(summary(processOne(packetFor(generateKeyPair().publicKey), held))).toBe('INVALID_HEADER');
    expect(summary(processOne(packetFor(k(0).publicKey), []))).toBe('INVALID_HEADER');
  });

  it('does not try other keys on an error that is not the MAC', () => {
    expect(summary(processOne(new Uint8Array(100), [k(0), k(1)]))).toBe('INVALID_PACKET');
  });
});

describe('small ticks inline (issue 16 #4)', () => {
  const framed = (o: ProcessOutcome) => o.kind === 'forward' && o.frame !== undefined;
  const tick = (p: ReturnType<typeof createPacketProcessor>, n: number, key = k(0)) =>
    Promise.all(
      Array.from(
        { length: n },
        () => new Promise<ProcessOutcome>((resolve) => p.process(packetFor(key.publicKey), resolve)),
      ),
    );

  it('processes a tick of a few packets on the main thread, a larger one in the worker', async () => {
    const p = createPacketProcessor({ keys: [k(0)], workers: 1, inlineShare: 0.25 });
    try {
      // Only a worker's outcome comes framed for the wire (a view into its batch).
      const few = await tick(p, 2);
      expect(few.map(summary)).toEqual(['forward@0', 'forward@0']);
      expect(few.some(framed)).toBe(false);
      const many = await tick(p, 12);
      expect(many.every((o) => summary(o) === 'forward@0' && framed(o))).toBe(true);
      // Key changes reach the inline path too.
      p.setKeys([k(1)]);
      expect((await tick(p, 1, k(1))).map(summary)).toEqual(['forward@1']);
      expect((await tick(p, 1, k(0))).map(summary)).toEqual(['INVALID_HEADER']);
      expect(p.inFlight).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('never inline with inlineShare 0', async () => {
    const p = createPacketProcessor({ keys: [k(0)], workers: 1, inlineShare: 0 });
    try {
      expect((await tick(p, 1)).every(framed)).toBe(true);
    } finally {
      await p.close();
    }
  });
});

for (const workers of [0, 1]) {
  describe(`packet processor, ${workers} worker${workers === 1 ? '' : 's'}`, () => {
    it('takes key changes for the packets posted after them', async () => {
      // inlineShare 0: the worker thread itself, not the main thread's inline path for small ticks.
      const p = createPacketProcessor({ keys: [k(0)], workers, inlineShare: 0 });
      const run = (publicKey: Uint8Array) =>
        new Promise<string>((resolve) => p.process(packetFor(publicKey), (o) => resolve(summary(o))));
      try {
        expect(await run(k(0).publicKey)).toBe('forward@0');
        expect(await run(k(1).publicKey)).toBe('INVALID_HEADER');
        p.setKeys([k(1), k(0), k(2)]);
        expect(await run(k(1).publicKey)).toBe('forward@1');
        expect(await run(k(2).publicKey)).toBe('forward@2');
        expect(await run(k(0).publicKey)).toBe('forward@0');
        p.setKeys([k(1), k(2)]);
        expect(await run(k(0).publicKey)).toBe('INVALID_HEADER');
        expect(await run(k(1).publicKey)).toBe('forward@1');
      } finally {
        await p.close();
      }
    });
  });
}
