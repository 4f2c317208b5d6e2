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

for (const workers of [0, 1]) {
  describe(`packet processor, ${workers} worker${workers === 1 ? '' : 's'}`, () => {
    it('takes key changes for the packets posted after them', async () => {
      const p = createPacketProcessor({ keys: [k(0)], workers });
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
