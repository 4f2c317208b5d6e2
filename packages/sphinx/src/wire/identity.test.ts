/** Identity signatures (identity.ts): small-order keys are refused, honest keys verify. */
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSmallOrderEd25519Key, verifyIdentitySignature } from './identity.js';

/** The 8 points of the torsion subgroup (order dividing 8): multiples of a point of order 8. */
const ORDER_8 = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
const SMALL_ORDER_KEYS = Array.from({ length: 8 }, (_, k) =>
  k === 0 ? ed25519.Point.ZERO.toBytes() : ORDER_8.multiplyUnsafe(BigInt(k)).toBytes(),
);
/** The identity point's encoding (y = 1) as R, and s = 0: valid for every message under a small-order key (cofactored check). */
const FORGED = new Uint8Array(64);
FORGED[0] = 1;
const MESSAGE = new TextEncoder().encode('mixnet-gateway-auth-v1 … any message');

describe('isSmallOrderEd25519Key', () => {
  it('flags the all-zero key, the identity point and every torsion point', () => {
    expect(new Set(SMALL_ORDER_KEYS.map((k) => Buffer.from(k).toString('hex'))).size).toBe(8);
    expect(isSmallOrderEd25519Key(new Uint8Array(32))).toBe(true);
    for (const key of SMALL_ORDER_KEYS) expect(isSmallOrderEd25519Key(key)).toBe(true);
  });

  it('flags a non-canonical encoding of the identity point (y = p + 1)', () => {
    const p1 = 2n ** 255n - 19n + 1n;
    const key = new Uint8Array(32);
    for (let i = 0; i < 32; i++) key[i] = Number((p1 >> BigInt(8 * i)) & 0xffn);
    expect(isSmallOrderEd25519Key(key)).toBe(true);
  });

  it('never flags an honestly generated key, nor bytes of the wrong length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
        expect(isSmallOrderEd25519Key(ed25519.getPublicKey(secret))).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(isSmallOrderEd25519Key(new Uint8Array(31))).toBe(false);
  });
});

describe('verifyIdentitySignature', () => {
  it('refuses a forged signature under every small-order key, which a permissive verify accepts', () => {
    for (const key of SMALL_ORDER_KEYS) {
      expect(ed25519.verify(FORGED, MESSAGE, key)).toBe(true); // ZIP-215 (noble's default): the finding
      expect(verifyIdentitySignature(FORGED, MESSAGE, key)).toBe(false);
    }
    // The login of the finding: the all-zero address with an all-zero signature.
    expect(ed25519.verify(new Uint8Array(64), MESSAGE, new Uint8Array(32))).toBe(true);
    expect(verifyIdentitySignature(new Uint8Array(64), MESSAGE, new Uint8Array(32))).toBe(false);
  });

  it('accepts an honest signature and refuses it over another message or key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), (sk, msg) => {
        const pk = ed25519.getPublicKey(sk);
        const sig = ed25519.sign(msg, sk);
        expect(verifyIdentitySignature(sig, msg, pk)).toBe(true);
        const other = Uint8Array.from([...msg, 0]);
        expect(verifyIdentitySignature(sig, other, pk)).toBe(false);
        const tampered = sig.slice();
        tampered[0] = (tampered[0] as number) ^ 1;
        expect(verifyIdentitySignature(tampered, msg, pk)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses malformed inputs without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 70 }), (sig, key) => {
        expect(typeof verifyIdentitySignature(sig, MESSAGE, key)).toBe('boolean');
      }),
    );
    const sk = ed25519.utils.randomSecretKey();
    const sig = ed25519.sign(MESSAGE, sk);
    expect(verifyIdentitySignature(sig.subarray(0, 63), MESSAGE, ed25519.getPublicKey(sk))).toBe(false);
    expect(verifyIdentitySignature(sig, MESSAGE, new Uint8Array(32).fill(0xff))).toBe(false);
  });
});
