/** SURBs (SPHINX.md §6): round trips, reuse, parsing bounds, version-259 seeds. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from './bytes.js';
import { finalPaddingLength, VERSION_PAYLOAD_KEYS_SEEDS } from './constants.js';
import { buildHeader } from './header.js';
import { processPacket } from './packet.js';
import { recoverMessage } from './payload.js';
import { createSurb, encodeSurb, packetFromSurb, parseSurb } from './surb.js';
import { BACKENDS } from './test-support/backends.js';
import { codeOf } from './test-support/errors.js';
import { asRoute, payloadArb, routeArb, routeOptions, sampleRoute, type TestHop } from './test-support/routes.js';

describe.each(BACKENDS)('SURBs on %s', (name, backend) => {
  it('round-trips replies through SURBs of 1–5 hops', () => {
    fc.assert(
      fc.property(routeArb(), payloadArb, (r, p) => {
        const surb = createSurb({
          route: asRoute(r.hops),
          delaysNs: r.delaysNs,
          destination: r.destination,
          identifier: r.identifier,
          backend,
        });
        expect(surb.length).toBe(380 + 192 * r.hops.length);
        const { firstHop, packet } = packetFromSurb(surb, p.message, { payloadSize: p.payloadSize, backend });
        expect(firstHop).toEqual((r.hops[0] as TestHop).address);
        expect(packet.subarray(0, 348)).toEqual(surb.subarray(0, 348));
        let current = packet;
        for (const [i, hop] of r.hops.entries()) {
          const result = processPacket(current, hop.privateKey, { backend });
          if (result.kind === 'forward') {
            expect(result.nextAddress).toEqual((r.hops[i + 1] as TestHop).address);
            current = result.packet;
          } else {
            expect(i).toBe(r.hops.length - 1);
            expect(result.destination).toEqual(r.destination);
            expect(result.identifier).toEqual(r.identifier);
            expect(recoverMessage(result.payload)).toEqual(p.message);
          }
        }
      }),
      { numRuns: name === 'noble' ? 15 : 40 },
    );
  });

  it('gives identical replay tags at every hop when a SURB is reused (§6.4)', () => {
    const r = sampleRoute(3, 3, 11);
    const surb = createSurb({ route: asRoute(r.hops), delaysNs: r.delaysNs, destination: r.destination, backend });
    const tags = (message: string) => {
      let { packet } = packetFromSurb(surb, new TextEncoder().encode(message), { backend });
      return r.hops.map((hop) => {
        const result = processPacket(packet, hop.privateKey, { backend });
        if (result.kind === 'forward') packet = result.packet;
        return result.replayTag;
      });
    };
    expect(tags('first reply')).toEqual(tags('second reply'));
  });

  it('uses version-259 SURBs that carry 16-byte seeds (Appendix A)', () => {
    const r = sampleRoute(1, 5, 13);
    const built = buildHeader(backend, {
      route: asRoute(r.hops),
      delaysNs: r.delaysNs,
      destination: r.destination,
      identifier: r.identifier,
      initialSecret: r.initialSecret,
      finalPadding: new Uint8Array(finalPaddingLength(r.hops.length)),
      version: VERSION_PAYLOAD_KEYS_SEEDS,
    });
    const seeds = built.expansions.map((e) => e.slice(32, 48));
    const surb = encodeSurb({
      header: built.header,
      firstHop: (r.hops[0] as TestHop).address,
      keyMaterial: { kind: 'seeds', items: seeds },
    });
    expect(surb.length).toBe(380 + 16 * r.hops.length);
    expect(parseSurb(surb).keyMaterial.kind).toBe('seeds');
    let { packet } = packetFromSurb(surb, Uint8Array.of(9, 8, 7), { payloadSize: 100, backend });
    for (const hop of r.hops) {
      const result = processPacket(packet, hop.privateKey, { backend });
      if (result.kind === 'forward') packet = result.packet;
      else expect(recoverMessage(result.payload)).toEqual(Uint8Array.of(9, 8, 7));
    }
  });

  it('creates version-259 seed SURBs with keyMaterial: "seeds" and routes replies through them', () => {
    fc.assert(
      fc.property(routeArb(), payloadArb, (r, p) => {
        const surb = createSurb({ ...routeOptions(r), keyMaterial: 'seeds', backend });
        expect(surb.length).toBe(380 + 16 * r.hops.length);
        const { packet } = packetFromSurb(surb, p.message, { payloadSize: p.payloadSize, backend });
        let current = packet;
        let delivered: Uint8Array | undefined;
        for (const hop of r.hops) {
          const result = processPacket(current, hop.privateKey, { backend });
          if (result.kind === 'forward') current = result.packet;
          else delivered = recoverMessage(result.payload);
        }
        expect(delivered).toEqual(p.message);
      }),
      { numRuns: 10 },
    );
    expect(codeOf(() => createSurb({ ...routeOptions(sampleRoute(1, 2, 3)), keyMaterial: 'x' as 'keys' }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('SURB parsing', () => {
  const header = new Uint8Array(348);
  const firstHop = new Uint8Array(32);
  it('refuses lengths that are not a whole number of keys or seeds', () => {
    expect(codeOf(() => parseSurb(new Uint8Array(395)))).toBe('INVALID_SURB');
    expect(codeOf(() => parseSurb(concatBytes(header, firstHop, new Uint8Array(17))))).toBe('INVALID_SURB');
    expect(codeOf(() => parseSurb(concatBytes(header, firstHop, new Uint8Array(192 + 16))))).toBe('INVALID_SURB');
    expect(codeOf(() => parseSurb(concatBytes(header, firstHop, new Uint8Array(192 * 6))))).toBe('INVALID_SURB');
    expect(codeOf(() => parseSurb('not bytes' as never))).toBe('INVALID_SURB');
    expect(parseSurb(concatBytes(header, firstHop, new Uint8Array(192 * 5))).keyMaterial.items.length).toBe(5);
  });
  it('refuses seed SURBs with more than five seeds (decoders stay bounded at r = 5)', () => {
    expect(codeOf(() => parseSurb(concatBytes(header, firstHop, new Uint8Array(16 * 6))))).toBe('INVALID_SURB');
  });
  it('refuses a message too long for the reply payload', () => {
    const surb = concatBytes(header, firstHop, new Uint8Array(192));
    expect(codeOf(() => packetFromSurb(surb, new Uint8Array(2049)))).toBe('INVALID_PAYLOAD');
    expect(packetFromSurb(surb, new Uint8Array(2048)).packet.length).toBe(2413);
  });
});
