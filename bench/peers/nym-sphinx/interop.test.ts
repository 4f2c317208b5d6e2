/**
 * Interop with Nym's own sphinx-packet 0.6.0 in both directions (issue #3), on each of our
 * backends: packets and SURBs made by one side are processed hop by hop by both, and both must
 * agree at every hop; tampered packets are refused by both.
 */
import {
  type CryptoBackend,
  createPacket,
  createSurb,
  packetFromSurb,
  processPacket,
  recoverMessage,
  SphinxError,
} from '@mixnet/sphinx';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../../packages/sphinx/src/test-support/backends.js';
import {
  payloadArb,
  routeArb,
  routeOptions,
  type TestHop,
  type TestRoute,
} from '../../../packages/sphinx/src/test-support/routes.js';
import { ensureNymPeerBuilt, expectNymOk, type NymPeer, type NymProcessResult, startNymPeer } from './peer.js';

let peer: NymPeer;
const cases: Record<string, number> = {};
const count = (what: string) => {
  cases[what] = (cases[what] ?? 0) + 1;
};

beforeAll(async () => {
  await ensureNymPeerBuilt();
  peer = await startNymPeer();
}, 900_000);

afterAll(async () => {
  await peer?.close();
  const total = Object.values(cases).reduce((a, b) => a + b, 0);
  process.stdout.write(`\nNym interop cases run: ${total} (${JSON.stringify(cases)})\n`);
});

/** Our result of one hop in the crate's shape, errors included, so the two compare directly. */
function oursAsNym(
  packet: Uint8Array,
  key: Uint8Array,
  backend: CryptoBackend,
): NymProcessResult | { kind: 'error'; code: string } {
  try {
    return processPacket(packet, key, { backend }) as NymProcessResult;
  } catch (err) {
    if (err instanceof SphinxError) return { kind: 'error', code: err.code };
    throw err;
  }
}

const NYM_KIND: Record<string, string> = {
  INVALID_PACKET: 'InvalidPacket',
  INVALID_HEADER: 'InvalidHeader',
  INVALID_ROUTING: 'InvalidRouting',
  INVALID_PAYLOAD: 'InvalidPayload',
};

/**
 * Processes `packet` hop by hop with both implementations; asserts they agree on every field
 * at every hop and returns the final payload (or undefined if both refused at some hop).
 */
async function walkBoth(packet: Uint8Array, r: TestRoute, backend: CryptoBackend, label: string) {
  let current = packet;
  for (const [i, hop] of r.hops.entries()) {
    const theirs = await peer.process(current, hop.privateKey);
    const ours = oursAsNym(current, hop.privateKey, backend);
    if (theirs.kind === 'error' || ours.kind === 'error') {
      expect(ours.kind, `${label}: hop ${i}`).toBe('error');
      expect(theirs.kind, `${label}: hop ${i}`).toBe('error');
      if (ours.kind === 'error' && theirs.kind === 'error')
        expect(NYM_KIND[(ours as { code: string }).code]).toBe(theirs.error);
      return undefined;
    }
    expect(ours.replayTag, `${label}: hop ${i} replay tag`).toEqual(theirs.replayTag);
    expect(ours.kind, `${label}: hop ${i} kind`).toBe(theirs.kind);
    if (ours.kind === 'forward' && theirs.kind === 'forward') {
      expect(ours.nextAddress).toEqual(theirs.nextAddress);
      expect(ours.nextAddress).toEqual((r.hops[i + 1] as TestHop).address);
      expect(ours.delayNs).toBe(theirs.delayNs);
      expect(ours.delayNs).toBe(r.delaysNs[i]);
      expect(ours.packet, `${label}: hop ${i} next packet`).toEqual(theirs.packet);
      current = ours.packet;
    } else if (ours.kind === 'final' && theirs.kind === 'final') {
      expect(i).toBe(r.hops.length - 1);
      expect(ours.destination).toEqual(theirs.destination);
      expect(ours.destination).toEqual(r.destination);
      expect(ours.identifier).toEqual(theirs.identifier);
      expect(ours.identifier).toEqual(r.identifier);
      expect(ours.payload).toEqual(theirs.payload);
      return { ours: ours.payload, theirs };
    }
  }
  throw new Error(`${label}: the route ended without a final hop`);
}

describe.each(BACKENDS)('Nym interop on %s', (name, backend) => {
  const runs = name === 'noble' ? 15 : 40;

  it('the crate processes our packets exactly as we do, hop by hop', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb(), payloadArb, async (r, p) => {
        const packet = createPacket({ ...routeOptions(r), ...p, backend });
        const end = await walkBoth(packet, r, backend, 'ours→crate');
        expect(end?.theirs.message).toEqual(p.message);
        expect(recoverMessage(end?.ours as Uint8Array)).toEqual(p.message);
        count(`our packets (${name})`);
      }),
      { numRuns: runs },
    );
  });

  it('we process the crate’s packets exactly as it does, hop by hop', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb(), payloadArb, async (r, p) => {
        const made = expectNymOk(await peer.create({ ...routeOptions(r), ...p }));
        expect(made.packet.length).toBe(348 + p.payloadSize);
        const end = await walkBoth(made.packet, r, backend, 'crate→ours');
        expect(recoverMessage(end?.ours as Uint8Array)).toEqual(p.message);
        count(`crate packets (${name})`);
      }),
      { numRuns: runs },
    );
  });

  it('we process the crate’s packets of every version as it does: legacy 1 and 257, 259 and unknown', async () => {
    for (const version of [1, 257, 259, 300]) {
      await fc.assert(
        fc.asyncProperty(routeArb(), payloadArb, async (r, p) => {
          const made = expectNymOk(await peer.create({ ...routeOptions(r), ...p, version }));
          const end = await walkBoth(made.packet, r, backend, `crate v${version}`);
          expect(recoverMessage(end?.ours as Uint8Array)).toEqual(p.message);
          count(`crate v${version} packets (${name})`);
        }),
        { numRuns: name === 'noble' ? 3 : 8 },
      );
    }
  });

  it('the crate processes our version-259 packets (what our clients send) as we do, and builds the same ones', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb(), payloadArb, async (r, p) => {
        const opts = { ...routeOptions(r), ...p, initialSecret: r.initialSecret, version: 259 as const };
        const ours = createPacket({ ...opts, backend });
        const end = await walkBoth(ours, r, backend, 'ours v259→crate');
        expect(end?.theirs.message).toEqual(p.message);
        expect(end?.theirs.version).toBe(259);
        const theirs = expectNymOk(await peer.create(opts)).packet;
        expect(ours.subarray(0, 32)).toEqual(theirs.subarray(0, 32));
        expect(ours.subarray(348)).toEqual(theirs.subarray(348));
        count(`our v259 packets (${name})`);
      }),
      { numRuns: Math.ceil(runs / 2) },
    );
  });

  it('from the same initial secret both build the same alpha and payload (only the random final padding differs)', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb(), payloadArb, async (r, p) => {
        const opts = { ...routeOptions(r), ...p, initialSecret: r.initialSecret };
        const theirs = expectNymOk(await peer.create(opts)).packet;
        const ours = createPacket({ ...opts, backend });
        expect(ours.subarray(0, 32)).toEqual(theirs.subarray(0, 32));
        expect(ours.subarray(348)).toEqual(theirs.subarray(348));
        count(`same-secret packets (${name})`);
      }),
      { numRuns: Math.ceil(runs / 2) },
    );
  });

  it('SURBs made by either side are used by the other, with byte-identical reply packets', async () => {
    await fc.assert(
      fc.asyncProperty(routeArb(), payloadArb, fc.boolean(), async (r, p, oursMakes) => {
        const opts = routeOptions(r);
        const surb = oursMakes ? createSurb({ ...opts, backend }) : expectNymOk(await peer.createSurb(opts)).surb;
        expect(surb.length).toBe(380 + 192 * r.hops.length);
        const mine = packetFromSurb(surb, p.message, { payloadSize: p.payloadSize, backend });
        const theirs = expectNymOk(await peer.useSurb(surb, p.message, p.payloadSize));
        expect(mine.firstHop).toEqual(theirs.firstHop);
        expect(mine.firstHop).toEqual((r.hops[0] as TestHop).address);
        expect(mine.packet).toEqual(theirs.packet);
        const end = await walkBoth(mine.packet, r, backend, oursMakes ? 'our SURB' : 'crate SURB');
        expect(end?.theirs.message).toEqual(p.message);
        expect(recoverMessage(end?.ours as Uint8Array)).toEqual(p.message);
        count(`SURBs (${name})`);
      }),
      { numRuns: runs },
    );
  });

  it('both refuse tampered and truncated packets in the same way', async () => {
    const where = fc.oneof(
      fc.record({ region: fc.constant('header' as const), bit: fc.integer({ min: 0, max: 348 * 8 - 1 }) }),
      fc.record({ region: fc.constant('payload' as const), bit: fc.nat() }),
      fc.record({ region: fc.constant('truncate' as const), bit: fc.integer({ min: 0, max: 400 }) }),
    );
    await fc.assert(
      fc.asyncProperty(routeArb(1, 4), payloadArb, where, fc.boolean(), async (r, p, w, oursMakes) => {
        const opts = { ...routeOptions(r), ...p };
        const packet = oursMakes ? createPacket({ ...opts, backend }) : expectNymOk(await peer.create(opts)).packet;
        let tampered: Uint8Array;
        if (w.region === 'truncate') {
          tampered = packet.slice(0, Math.min(packet.length - 1, 348 + w.bit));
        } else {
          tampered = packet.slice();
          const bit = w.region === 'header' ? w.bit : 348 * 8 + (w.bit % (p.payloadSize * 8));
          tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
        }
        const end = await walkBoth(tampered, r, backend, `tampered ${w.region}`);
        const isAlphaTopBit = w.region === 'header' && w.bit === 31 * 8 + 7;
        if (end === undefined) {
          // Refused at a hop (header flips at the first, truncations wherever Lioness or length fail).
          expect(isAlphaTopBit).toBe(false);
        } else if (isAlphaTopBit) {
          expect(recoverMessage(end.ours)).toEqual(p.message);
        } else {
          // Only payload changes reach the end; both detect them when recovering (§4.3).
          expect(w.region === 'payload' || w.region === 'truncate').toBe(true);
          expect(end.theirs.message).toBeNull();
          expect(() => recoverMessage(end.ours)).toThrow(SphinxError);
        }
        count(`tampered (${name})`);
      }),
      { numRuns: runs * 2 },
    );
  });
});

describe('recovering plaintexts', () => {
  it('our recoverMessage and the crate’s recover_plaintext agree on arbitrary payloads', async () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.tuple(fc.uint8Array({ maxLength: 60 }), fc.nat({ max: 30 })).map(([m, pad]) => {
        const out = new Uint8Array(16 + m.length + 1 + pad);
        out.set(m, 16);
        out[16 + m.length] = 1;
        return out;
      }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (bytes) => {
        const theirs = await peer.recover(bytes);
        let ours: Uint8Array | undefined;
        try {
          ours = recoverMessage(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SphinxError);
        }
        if (theirs.kind === 'error') expect(ours).toBeUndefined();
        else expect(ours).toEqual(theirs.message);
        count('recover');
      }),
      { numRuns: 300 },
    );
  });
});
