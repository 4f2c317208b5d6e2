/**
 * A node host's shared Sphinx workers (issue 16): each node's processor opens only its own
 * packets, packets of several nodes queued in one tick come back to the right node, a key change
 * of one node leaves the others alone, and a closed processor's keys are forgotten.
 */
import { createPacket, generateKeyPair } from '@mixnet/sphinx';
import { describe, expect, it } from 'vitest';
import { createPacketPool, type PacketProcessor, type ProcessOutcome } from './packet-processor.js';

const hop = () => ({ ...generateKeyPair(), address: new Uint8Array(32) });
const packetFor = (publicKey: Uint8Array) =>
  createPacket({
    route: [{ address: new Uint8Array(32), publicKey }, hop()],
    delaysNs: [0n, 0n],
    destination: new Uint8Array(32),
    message: new Uint8Array(10),
  });
const summary = (o: ProcessOutcome) => (o.kind === 'error' ? o.code : `${o.kind}@${o.rotation}`);
const run = (p: PacketProcessor, publicKey: Uint8Array) =>
  new Promise<string>((resolve) => p.process(packetFor(publicKey), (o) => resolve(summary(o))));

describe('shared packet pool', () => {
  it('keeps each node’s keys apart across shared workers', async () => {
    const pool = createPacketPool({ workers: 2 });
    const nodeKeys = [0, 1, 2].map(() => ({ rotation: 7, ...generateKeyPair() }));
    const procs = nodeKeys.map((k) => pool.processor([k]));
    try {
      // All in one tick: batches of three key sets interleaved over two workers.
      const outcomes = await Promise.all(
        procs.flatMap((p, i) => nodeKeys.map((k, j) => run(p, k.publicKey).then((s) => [i, j, s] as const))),
      );
      for (const [i, j, s] of outcomes) expect(s).toBe(i === j ? 'forward@7' : 'INVALID_HEADER');
      expect(procs.map((p) => p.inFlight)).toEqual([0, 0, 0]);

      // A key change of node 0 only: node 1 still opens its own packets, not node 0's new ones.
      const fresh = { rotation: 8, ...generateKeyPair() };
      procs[0]?.setKeys([fresh]);
      expect(await run(procs[0] as PacketProcessor, fresh.publicKey)).toBe('forward@8');
      expect(await run(procs[0] as PacketProcessor, (nodeKeys[0] as (typeof nodeKeys)[0]).publicKey)).toBe(
        'INVALID_HEADER',
      );
      expect(await run(procs[1] as PacketProcessor, (nodeKeys[1] as (typeof nodeKeys)[0]).publicKey)).toBe('forward@7');
      expect(await run(procs[1] as PacketProcessor, fresh.publicKey)).toBe('INVALID_HEADER');

      // Closed: its keys are dropped from the workers; the pool still serves the others.
      await procs[2]?.close();
      expect(await run(procs[2] as PacketProcessor, (nodeKeys[2] as (typeof nodeKeys)[0]).publicKey)).toBe(
        'INVALID_HEADER',
      );
      expect(await run(procs[1] as PacketProcessor, (nodeKeys[1] as (typeof nodeKeys)[0]).publicKey)).toBe('forward@7');
    } finally {
      await pool.close();
    }
  });

  it('refuses a pool without workers', () => {
    expect(() => createPacketPool({ workers: 0 })).toThrow(/at least 1 worker/);
  });
});
