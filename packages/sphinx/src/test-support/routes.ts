/** fast-check arbitraries for routes and packets, shared by the property tests. */
import fc from 'fast-check';
import { encodeNodeAddress } from '../address.js';
import { X25519_BASE_POINT } from '../crypto/backend.js';
import { createNobleBackend } from '../crypto/noble.js';

const noble = createNobleBackend();

export interface TestHop {
  address: Uint8Array;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** A Nym node address, IPv4 or IPv6, or (rarely) 32 arbitrary bytes: the Sphinx layer is opaque to it. */
export const addressArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }))
      .map(([host, port]) => encodeNodeAddress({ host, port })),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 }))
      .map(([host, port]) => encodeNodeAddress({ host, port })),
  },
  { weight: 1, arbitrary: bytes(32) },
);

export const hopArb: fc.Arbitrary<TestHop> = fc.tuple(addressArb, bytes(32)).map(([address, privateKey]) => ({
  address,
  privateKey,
  publicKey: noble.x25519(privateKey, X25519_BASE_POINT),
}));

/** u64 delays, with the top bit set now and then (SPHINX.md §9). */
export const delayArb = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 10n }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

export const routeArb = (minHops = 1, maxHops = 5) =>
  fc.integer({ min: minHops, max: maxHops }).chain((n) =>
    fc.record({
      hops: fc.array(hopArb, { minLength: n, maxLength: n }),
      delaysNs: fc.array(delayArb, { minLength: n, maxLength: n }),
      destination: bytes(32),
      identifier: bytes(16),
      initialSecret: bytes(32),
    }),
  );

/** Payload sizes from the smallest usable (33) to Nym's ExtendedPacket32 (32785), small ones favoured. */
export const payloadSizeArb = fc.oneof(
  fc.integer({ min: 33, max: 300 }),
  fc.constantFrom(38, 529, 1024, 2065, 16401, 32785),
  fc.integer({ min: 33, max: 32785 }),
);

/** A payload size with a message that fits it. */
export const payloadArb = payloadSizeArb.chain((payloadSize) =>
  fc.record({
    payloadSize: fc.constant(payloadSize),
    message: fc.uint8Array({ minLength: 0, maxLength: payloadSize - 17 }),
  }),
);

export type TestRoute = {
  hops: TestHop[];
  delaysNs: bigint[];
  destination: Uint8Array;
  identifier: Uint8Array;
  initialSecret: Uint8Array;
};

/** One fixed route, reproducible by seed, for example-based tests. */
export function sampleRoute(minHops: number, maxHops: number, seed: number): TestRoute {
  const [route] = fc.sample(routeArb(minHops, maxHops), { numRuns: 1, seed });
  if (!route) throw new Error('fast-check returned no sample');
  return route;
}

export const asRoute = (hops: readonly TestHop[]) => hops.map(({ address, publicKey }) => ({ address, publicKey }));

/** Everything createPacket and createSurb take from a sampled route. */
export function routeOptions(r: TestRoute) {
  return { route: asRoute(r.hops), delaysNs: r.delaysNs, destination: r.destination, identifier: r.identifier };
}
