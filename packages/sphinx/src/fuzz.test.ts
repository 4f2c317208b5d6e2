/**
 * Hostile input (issue #2: "for any input whatsoever, the only exception that escapes is
 * SphinxError"): random byte strings, mutated valid packets and wrong types, on every backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNodeAddress } from './address.js';
import { SphinxError } from './errors.js';
import { createPacket, processPacket } from './packet.js';
import { recoverMessage } from './payload.js';
import { createSurb, packetFromSurb, parseSurb } from './surb.js';
import { BACKENDS } from './test-support/backends.js';
import type { TestHop } from './test-support/routes.js';
import { sampleRoute } from './test-support/routes.js';

/** Runs fn; a SphinxError is fine, anything else fails the test. Returns whether it threw. */
function onlySphinxErrors(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (err instanceof SphinxError) return true;
    throw err;
  }
}

/** Deterministic random lengths and bytes, so a failure reproduces. */
function* randomStrings(count: number, seed: number): Generator<Uint8Array> {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  for (let i = 0; i < count; i++) {
    // Half below 365 bytes (length checks), half through the full crypto path.
    const length = i % 2 === 0 ? next() % 365 : 365 + (next() % 2500);
    const out = new Uint8Array(length);
    for (let j = 0; j < length; j++) out[j] = next() & 0xff;
    yield out;
  }
}

const key = new Uint8Array(32).fill(42);

describe.each(BACKENDS)('hostile input on %s', (_name, backend) => {
  it('10,000 random byte strings of random lengths give only SphinxError', () => {
    let errors = 0;
    let count = 0;
    for (const bytes of randomStrings(10_000, 0xc0ffee)) {
      count++;
      if (onlySphinxErrors(() => processPacket(bytes, key, { backend }))) errors++;
      onlySphinxErrors(() => parseSurb(bytes));
      onlySphinxErrors(() => recoverMessage(bytes));
      onlySphinxErrors(() => packetFromSurb(bytes, Uint8Array.of(1), { backend }));
      onlySphinxErrors(() => decodeNodeAddress(bytes));
    }
    expect(count).toBe(10_000);
    // A random header passes the 16-byte MAC with probability 2^-128: every one must be refused.
    expect(errors).toBe(10_000);
  });

  it('mutations of valid packets and SURBs give a result or a SphinxError, never anything else', () => {
    const r = sampleRoute(2, 4, 17);
    const route = r.hops.map(({ address, publicKey }) => ({ address, publicKey }));
    const packet = createPacket({
      route,
      delaysNs: r.delaysNs,
      destination: r.destination,
      message: new Uint8Array(20),
      payloadSize: 200,
      backend,
    });
    const surb = createSurb({ route, delaysNs: r.delaysNs, destination: r.destination, backend });
    const mutation = fc.record({
      truncate: fc.nat({ max: 600 }),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(mutation, ({ truncate, flips }) => {
        for (const original of [packet, surb]) {
          const m = original.slice(0, Math.max(0, original.length - truncate));
          for (const [at, mask] of flips) if (m.length > 0) m[at % m.length] = (m[at % m.length] as number) ^ mask;
          onlySphinxErrors(() => processPacket(m, (r.hops[0] as TestHop).privateKey, { backend }));
          onlySphinxErrors(() => packetFromSurb(m, Uint8Array.of(1), { backend }));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('wrong types give SphinxError', () => {
    const junk: unknown[] = [
      undefined,
      null,
      0,
      'packet',
      {},
      [],
      new ArrayBuffer(400),
      new Uint16Array(400),
      Symbol('x'),
    ];
    for (const value of junk) {
      expect(onlySphinxErrors(() => processPacket(value as Uint8Array, key, { backend }))).toBe(true);
      expect(onlySphinxErrors(() => processPacket(new Uint8Array(400), value as Uint8Array, { backend }))).toBe(true);
      expect(onlySphinxErrors(() => recoverMessage(value as Uint8Array))).toBe(true);
      expect(onlySphinxErrors(() => parseSurb(value as Uint8Array))).toBe(true);
      expect(onlySphinxErrors(() => createPacket(value as never))).toBe(true);
      expect(onlySphinxErrors(() => createSurb({ route: value } as never))).toBe(true);
      expect(onlySphinxErrors(() => decodeNodeAddress(value as Uint8Array))).toBe(true);
    }
  });
});

describe('Node Buffers as input', () => {
  it.each(BACKENDS)(
    'on %s: give the same results as Uint8Array and never change the caller’s bytes',
    (_name, backend) => {
      const r = sampleRoute(2, 2, 23);
      const route = r.hops.map(({ address, publicKey }) => ({ address, publicKey }));
      const packet = createPacket({
        route,
        delaysNs: r.delaysNs,
        destination: r.destination,
        message: Uint8Array.of(1, 2, 3),
        payloadSize: 100,
        backend,
      });
      const asBuffer = Buffer.from(packet);
      const before = Buffer.from(asBuffer);
      let plain = processPacket(packet, (r.hops[0] as { privateKey: Uint8Array }).privateKey, { backend });
      let buffered = processPacket(asBuffer, (r.hops[0] as { privateKey: Uint8Array }).privateKey, { backend });
      expect(buffered).toEqual(plain);
      expect(asBuffer.equals(before)).toBe(true);
      if (plain.kind !== 'forward' || buffered.kind !== 'forward') throw new Error('expected forward');
      const next = Buffer.from(buffered.packet);
      plain = processPacket(plain.packet, (r.hops[1] as { privateKey: Uint8Array }).privateKey, { backend });
      buffered = processPacket(next, (r.hops[1] as { privateKey: Uint8Array }).privateKey, { backend });
      expect(buffered).toEqual(plain);
      if (buffered.kind !== 'final') throw new Error('expected final');
      expect(recoverMessage(Buffer.from(buffered.payload))).toEqual(Uint8Array.of(1, 2, 3));
      const surb = Buffer.from(createSurb({ route, delaysNs: r.delaysNs, destination: r.destination, backend }));
      const surbCopy = Buffer.from(surb);
      packetFromSurb(surb, Uint8Array.of(4), { backend });
      expect(surb.equals(surbCopy)).toBe(true);
    },
  );
});
