/** Sphinx processing (packet-processor.ts): legacy versions 1 and 257 are refused unless allowed (issue 14 #13). */
import { encodeNodeAddress, generateKeyPair } from '@mixnet/sphinx';
import { afterEach, describe, expect, it } from 'vitest';
import { createPacketProcessor, type PacketProcessor, type ProcessOutcome } from './packet-processor.js';
import { versionedForwardPacket } from './test-support/versioned-packet.js';

const processors: PacketProcessor[] = [];
afterEach(async () => {
  for (const p of processors.splice(0)) await p.close();
});

const key = generateKeyPair();
const next = encodeNodeAddress({ host: '10.0.0.2', port: 1789 });
const packetOf = (version: number) => versionedForwardPacket({ publicKey: key.publicKey, nextAddress: next, version });

function run(workers: number, packet: Uint8Array, allowLegacyVersions?: boolean): Promise<ProcessOutcome> {
  const p = createPacketProcessor({
    keys: [{ rotation: 0, privateKey: key.privateKey }],
    workers,
    ...(allowLegacyVersions === undefined ? {} : { allowLegacyVersions }),
  });
  processors.push(p);
  return new Promise((resolve) => p.process(packet, resolve));
}

// Inline here (a worker thread cannot load the TypeScript sources); the worker path is covered by
// hardening.test.ts against a real mix process.
describe('packet processor and Sphinx versions', () => {
  for (const workers of [0]) {
    it(`workers=${workers}: processes 258, refuses 1 and 257 by default, processes them when allowed`, async () => {
      const v258 = await run(workers, packetOf(258));
      expect(v258.kind).toBe('forward');
      if (v258.kind === 'forward') expect([...v258.nextAddress]).toEqual([...next]);
      for (const version of [1, 257]) {
        const refused = await run(workers, packetOf(version));
        expect(refused).toMatchObject({ kind: 'error', code: 'UNSUPPORTED_VERSION' });
        const allowed = await run(workers, packetOf(version), true);
        expect(allowed.kind).toBe('forward');
      }
    });
  }
});
