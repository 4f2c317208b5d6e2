/** Properties of createPacket / processPacket on every backend (SPHINX.md §3–§5). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finalPaddingLength } from './constants.js';
import type { CryptoBackend } from './crypto/backend.js';
import { SphinxError } from './errors.js';
import { createPacket, processPacket } from './packet.js';
import { recoverMessage } from './payload.js';
import { BACKENDS } from './test-support/backends.js';
import { codeOf } from './test-support/errors.js';
import { asRoute, payloadArb, routeArb, routeOptions, sampleRoute, type TestHop } from './test-support/routes.js';

/** Runs a packet through its route, checking what each hop must see; returns the final payload. */
function travel(
  backend: CryptoBackend,
  packet: Uint8Array,
  hops: TestHop[],
  delaysNs: bigint[],
  destination: Uint8Array,
  identifier: Uint8Array,
) {
  let current = packet;
  for (let i = 0; i < hops.length; i++) {
    const result = processPacket(current, (hops[i] as TestHop).privateKey, { backend });
    expect(result.replayTag.length).toBe(32);
    if (i < hops.length - 1) {
      if (result.kind !== 'forward') throw new Error(`hop ${i} should forward`);
      expect(result.nextAddress).toEqual((hops[i + 1] as TestHop).address);
      expect(result.delayNs).toBe(delaysNs[i]);
      expect(result.packet.length).toBe(packet.length);
      current = result.packet;
    } else {
      if (result.kind !== 'final') throw new Error('last hop should be final');
      expect(result.destination).toEqual(destination);
      expect(result.identifier).toEqual(identifier);
      expect(result.payload.length).toBe(packet.length - 348);
      return result.payload;
    }
  }
  throw new Error('unreachable');
}

describe.each(BACKENDS)('packets on %s', (name, backend) => {
  const runs = name === 'noble' ? 25 : 60;

  it('round-trips random messages over random routes of 1–5 hops and payload sizes 33–32785', () => {
    fc.assert(
      fc.property(routeArb(), payloadArb, (r, p) => {
        const packet = createPacket({ ...routeOptions(r), ...p, backend });
        expect(packet.length).toBe(348 + p.payloadSize);
        const payload = travel(backend, packet, r.hops, r.delaysNs, r.destination, r.identifier);
        expect(recoverMessage(payload)).toEqual(p.message);
      }),
      { numRuns: runs },
    );
  });

  it('round-trips version-259 packets (seeded payload keys, Appendix A), which differ from 258 in payload only', () => {
    fc.assert(
      fc.property(routeArb(), payloadArb, (r, p) => {
        const opts = { ...routeOptions(r), ...p, initialSecret: r.initialSecret, backend };
        const packet = createPacket({ ...opts, version: 259 });
        expect(packet.length).toBe(348 + p.payloadSize);
        const payload = travel(backend, packet, r.hops, r.delaysNs, r.destination, r.identifier);
        expect(recoverMessage(payload)).toEqual(p.message);
        const v258 = createPacket(opts);
        expect(packet.subarray(0, 32)).toEqual(v258.subarray(0, 32)); // same alpha from the same secret
        expect(packet.subarray(348)).not.toEqual(v258.subarray(348)); // other Lioness keys
      }),
      { numRuns: Math.ceil(runs / 2) },
    );
    const r = sampleRoute(2, 2, 1);
    const bad = {
      route: asRoute(r.hops),
      delaysNs: r.delaysNs,
      destination: r.destination,
      message: new Uint8Array(1),
    };
    expect(codeOf(() => createPacket({ ...bad, version: 257 as 258, backend }))).toBe('INVALID_ARGUMENT');
  });

  it('fails every single-bit flip of alpha (but its top bit), gamma and beta at the first hop with INVALID_HEADER', () => {
    const hops = sampleRoute(3, 3, 7);
    const packet = createPacket({
      route: asRoute(hops.hops),
      delaysNs: hops.delaysNs,
      destination: hops.destination,
      message: new Uint8Array(10),
      payloadSize: 64,
      backend,
    });
    const key = (hops.hops[0] as TestHop).privateKey;
    const accepted = processPacket(packet, key, { backend });
    let flips = 0;
    for (let byte = 0; byte < 348; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = packet.slice();
        tampered[byte] = (tampered[byte] as number) ^ (1 << bit);
        if (byte === 31 && bit === 7) {
          // X25519 masks the top bit of u: the packet is processed exactly as the original (§4.3).
          expect(processPacket(tampered, key, { backend })).toEqual(accepted);
          continue;
        }
        expect(codeOf(() => processPacket(tampered, key, { backend }))).toBe('INVALID_HEADER');
        flips++;
      }
    }
    expect(flips).toBe(348 * 8 - 1);
  });

  it('lets payload bit flips through every hop and catches them in recoverMessage', () => {
    fc.assert(
      fc.property(routeArb(1, 4), fc.integer({ min: 0, max: 2065 * 8 - 1 }), (r, bitIndex) => {
        const packet = createPacket({
          route: asRoute(r.hops),
          delaysNs: r.delaysNs,
          destination: r.destination,
          identifier: r.identifier,
          message: new Uint8Array([1, 2, 3]),
          backend,
        });
        const at = 348 + (bitIndex >> 3);
        packet[at] = (packet[at] as number) ^ (1 << (bitIndex & 7));
        const payload = travel(backend, packet, r.hops, r.delaysNs, r.destination, r.identifier);
        expect(codeOf(() => recoverMessage(payload))).toBe('INVALID_PAYLOAD');
      }),
      { numRuns: name === 'noble' ? 10 : 40 },
    );
  });

  it('rejects a processing key that is not the hop’s with INVALID_HEADER', () => {
    fc.assert(
      fc.property(routeArb(2, 2), (r) => {
        const packet = createPacket({
          route: asRoute(r.hops),
          delaysNs: r.delaysNs,
          destination: r.destination,
          message: new Uint8Array(1),
          payloadSize: 40,
          backend,
        });
        fc.pre(!(r.hops[0] as TestHop).privateKey.every((b, i) => b === (r.hops[1] as TestHop).privateKey[i]));
        expect(codeOf(() => processPacket(packet, (r.hops[1] as TestHop).privateKey, { backend }))).toBe(
          'INVALID_HEADER',
        );
      }),
      { numRuns: 10 },
    );
  });

  it('names the bad argument when building a packet', () => {
    const r = sampleRoute(2, 2, 3);
    const base = {
      route: asRoute(r.hops),
      delaysNs: r.delaysNs,
      destination: r.destination,
      message: new Uint8Array(4),
      backend,
    };
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['empty route', { route: [] }, 'INVALID_ARGUMENT', /route must have 1 to 5 hops/],
      [
        'six hops',
        { route: Array(6).fill(base.route[0]), delaysNs: Array(6).fill(0n) },
        'INVALID_ARGUMENT',
        /route must have/,
      ],
      [
        'short key',
        { route: [{ ...base.route[0], publicKey: new Uint8Array(31) }, base.route[1]] },
        'INVALID_ARGUMENT',
        /route\[0\]\.publicKey must be 32 bytes/,
      ],
      [
        'short address',
        { route: [base.route[0], { ...base.route[1], address: new Uint8Array(8) }] },
        'INVALID_ARGUMENT',
        /route\[1\]\.address/,
      ],
      ['delays count', { delaysNs: [0n] }, 'INVALID_ARGUMENT', /delaysNs must have one entry per hop/],
      ['number delay', { delaysNs: [1, 2] }, 'INVALID_ARGUMENT', /delaysNs\[0\] must be a bigint/],
      ['negative delay', { delaysNs: [0n, -1n] }, 'INVALID_ARGUMENT', /delaysNs\[1\]/],
      ['huge delay', { delaysNs: [1n << 64n, 0n] }, 'INVALID_ARGUMENT', /delaysNs\[0\]/],
      ['destination', { destination: new Uint8Array(33) }, 'INVALID_ARGUMENT', /destination must be 32 bytes/],
      ['identifier', { identifier: new Uint8Array(15) }, 'INVALID_ARGUMENT', /identifier must be 16 bytes/],
      ['initial secret', { initialSecret: 'x' }, 'INVALID_ARGUMENT', /initialSecret must be a Uint8Array/],
      [
        'final padding',
        { finalPadding: new Uint8Array(finalPaddingLength(2) + 1) },
        'INVALID_ARGUMENT',
        /finalPadding must be 188 bytes/,
      ],
      ['payload size', { payloadSize: 32 }, 'INVALID_ARGUMENT', /payloadSize must be an integer/],
      [
        'long message',
        { message: new Uint8Array(49), payloadSize: 65 },
        'INVALID_PAYLOAD',
        /too long message provided/,
      ],
      ['message type', { message: [1, 2] }, 'INVALID_ARGUMENT', /message must be a Uint8Array/],
      ['backend', { backend: 'openssl' }, 'INVALID_ARGUMENT', /backend must be/],
    ];
    for (const [label, patch, code, message] of cases) {
      let caught: unknown;
      try {
        createPacket({ ...base, ...patch } as Parameters<typeof createPacket>[0]);
      } catch (err) {
        caught = err;
      }
      expect(caught, label).toBeInstanceOf(SphinxError);
      expect((caught as SphinxError).code, label).toBe(code);
      expect((caught as SphinxError).message, label).toMatch(message);
    }
    expect(codeOf(() => createPacket(undefined as never))).toBe('INVALID_ARGUMENT');
  });

  it('fits exactly payloadSize − 17 bytes of message and refuses one more', () => {
    const r = sampleRoute(1, 1, 5);
    const opts = { route: asRoute(r.hops), delaysNs: r.delaysNs, destination: r.destination, payloadSize: 33, backend };
    const full = new Uint8Array(16).fill(0x01);
    const result = processPacket(createPacket({ ...opts, message: full }), (r.hops[0] as TestHop).privateKey, {
      backend,
    });
    expect(result.kind === 'final' && recoverMessage(result.payload)).toEqual(full);
    expect(codeOf(() => createPacket({ ...opts, message: new Uint8Array(17) }))).toBe('INVALID_PAYLOAD');
  });
});

describe('backends agree', () => {
  it('give identical packets and identical hop results for the same inputs', () => {
    fc.assert(
      fc.property(routeArb(), payloadArb, fc.uint8Array({ minLength: 248, maxLength: 248 }), (r, p, pad) => {
        const finalPadding = pad.subarray(0, finalPaddingLength(r.hops.length));
        const packets = BACKENDS.map(([, backend]) =>
          createPacket({ ...routeOptions(r), ...p, initialSecret: r.initialSecret, finalPadding, backend }),
        );
        for (const packet of packets.slice(1)) expect(packet).toEqual(packets[0]);
        const hopResults = BACKENDS.map(([, backend]) =>
          processPacket(packets[0] as Uint8Array, (r.hops[0] as TestHop).privateKey, { backend }),
        );
        for (const result of hopResults.slice(1)) expect(result).toEqual(hopResults[0]);
      }),
      { numRuns: 15 },
    );
  });
});
