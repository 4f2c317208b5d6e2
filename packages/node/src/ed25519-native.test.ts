import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEd25519Signer, createVettedVerifier } from './ed25519-native.js';

describe('native Ed25519 (node:crypto) for announces and documents', () => {
  it('property: signs the same bytes as @noble/curves (RFC 8032 is deterministic)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2000 }), (sk, msg) => {
        const pk = ed25519.getPublicKey(sk);
        expect(Buffer.from(createEd25519Signer(sk, pk)(msg))).toEqual(Buffer.from(ed25519.sign(msg, sk)));
      }),
      { numRuns: 50 },
    );
  });

  it('vets a key strictly once, then checks natively: still refuses tampering and small-order keys', () => {
    const verify = createVettedVerifier();
    const sk = ed25519.utils.randomSecretKey();
    const pk = ed25519.getPublicKey(sk);
    const msg = randomBytes(100);
    const sig = ed25519.sign(msg, sk);
    expect(verify(sig, msg, pk)).toBe(true); // vetted now
    expect(verify(sig, msg, pk)).toBe(true);
    const bad = sig.slice();
    bad[40] = (bad[40] as number) ^ 1;
    expect(verify(bad, msg, pk)).toBe(false);
    expect(verify(sig, randomBytes(100), pk)).toBe(false);
    expect(verify(sig.slice(0, 63), msg, pk)).toBe(false);
    // S + L (non-canonical S) verifies in a lax check; refused here as by the strict one.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const s = BigInt(`0x${Buffer.from(sig.slice(32)).reverse().toString('hex')}`) + L;
    const high = Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse();
    expect(verify(new Uint8Array([...sig.slice(0, 32), ...high]), msg, pk)).toBe(false);
    // The all-zero (small-order) key is never vetted.
    expect(verify(new Uint8Array(64), msg, new Uint8Array(32))).toBe(false);
  });
});
