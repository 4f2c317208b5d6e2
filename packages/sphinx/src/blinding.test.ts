/** Combined blinding scalars (blinding.ts): the same bytes as the chain of X25519s, for any key. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampedRepresentative, createBlindingChain, onCurve } from './blinding.js';
import { createNativeBackend } from './crypto/native.js';
import { createNobleBackend } from './crypto/noble.js';
import { montgomeryLadder } from './legacy.js';
import { fromLE, L, pow } from './scalar.js';

/** A k with no representative: 8e with small e, where both signs' m land just above 2^251. */
const missing = 8n;
const clampedInt = (s: Uint8Array) => {
  const c = s.slice();
  c[0] = (c[0] as number) & 248;
  c[31] = ((c[31] as number) & 127) | 64;
  return fromLE(c);
};

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const native = createNativeBackend();

/** Low-order u values (RFC 7748 / libsodium's blocklist, as little-endian bytes). */
const lowOrder = [
  new Uint8Array(32),
  Uint8Array.of(1, ...new Uint8Array(31)),
  Uint8Array.from(Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')),
  Uint8Array.from(Buffer.from('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', 'hex')),
];

/** Real public keys, arbitrary bytes (about half of them on the twist) and low-order points. */
const anyKey = fc.oneof(
  bytes32.map((sk) => native.x25519Base(sk)),
  bytes32,
  fc.constantFrom(...lowOrder),
);

const naive = (backend: typeof native, factors: Uint8Array[], pk: Uint8Array) => {
  let acc = pk;
  for (const f of factors) acc = backend.x25519(f, acc);
  return acc;
};

describe('blinding chain', () => {
  for (const [name, backend, runs] of [
    ['native', native, 200],
    ['noble', createNobleBackend(), 15],
  ] as const) {
    it(`property (${name}): every hop's shared secret equals the X25519 chain as written`, () => {
      fc.assert(
        fc.property(bytes32, fc.array(fc.tuple(anyKey, bytes32), { minLength: 1, maxLength: 5 }), (x, hops) => {
          const chain = createBlindingChain(backend, x);
          const factors = [x];
          for (const [pk, factor] of hops) {
            expect(chain.sharedSecret(pk)).toEqual(naive(backend, factors, pk));
            chain.blind(factor);
            factors.push(factor);
          }
        }),
        { numRuns: runs },
      );
    });
  }

  it('property: a representative is left alone by clamping and is ≡ ±k (mod ℓ)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: L - 1n }), (k) => {
        const r = clampedRepresentative(k);
        if (r === null) return;
        expect(r[0] as number).toBe((r[0] as number) & 248);
        expect((r[31] as number) & 0xc0).toBe(64);
        const c = fromLE(r);
        expect((c - k) % L === 0n || (c + k) % L === 0n).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('every random k has a representative; only tiny multiples of 8 have none', () => {
    for (let i = 0; i < 1000; i++) expect(clampedRepresentative(fromLE(native.randomBytes(32)) % L)).not.toBeNull();
    for (const k of [8n, 16n, 8n * 12345n, L - 8n]) expect(clampedRepresentative(k)).toBeNull();
    expect(clampedRepresentative(4n)).not.toBeNull();
  });

  it('a product with no representative takes the longer chain and still gives the same bytes', () => {
    // x chosen so that clamp(x)·clamp(b0) ≡ ±missing (mod ℓ): hop 1 must start from x and apply b0.
    const b0 = native.randomBytes(32);
    const x = clampedRepresentative((missing * pow(clampedInt(b0), L - 2n, L)) % L) as Uint8Array;
    let ladders = 0;
    const counting = {
      ...native,
      x25519: (k: Uint8Array, u: Uint8Array) => {
        ladders++;
        return native.x25519(k, u);
      },
    };
    const chain = createBlindingChain(counting, x);
    const pk = native.x25519Base(native.randomBytes(32));
    expect(chain.sharedSecret(pk)).toEqual(naive(native, [x], pk));
    chain.blind(b0);
    ladders = 0;
    expect(chain.sharedSecret(pk)).toEqual(naive(native, [x, b0], pk));
    expect(ladders).toBe(2); // from x, then b0: the fallback
    chain.blind(native.randomBytes(32));
    ladders = 0;
    chain.sharedSecret(pk);
    expect(ladders).toBe(1); // the next product has a representative again
  });

  it('property: onCurve agrees with [8ℓ]u being the identity', () => {
    fc.assert(
      fc.property(anyKey, (u) => {
        const killed = montgomeryLadder(8n, montgomeryLadder(L, u)).every((b) => b === 0);
        expect(onCurve(u)).toBe(killed);
      }),
      { numRuns: 60 },
    );
    expect(onCurve(native.x25519Base(new Uint8Array(32).fill(3)))).toBe(true);
  });
});
