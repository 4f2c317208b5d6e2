import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { montgomeryToEdwards, xeddsaSign, xeddsaVerify } from './xeddsa.js';

const msg = new TextEncoder().encode('hello');
const rnd = () => crypto.getRandomValues(new Uint8Array(64));

describe('XEdDSA', () => {
  it('signs with an X25519 key and verifies with its public key, for keys of both sign bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 100 }), (k, m) => {
        const pub = x25519.getPublicKey(k);
        const sig = xeddsaSign(k, m, rnd());
        expect(xeddsaVerify(pub, m, sig)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the Edwards form of an X25519 public key is ±kB (Montgomery u of the Edwards point matches)', () => {
    const k = crypto.getRandomValues(new Uint8Array(32));
    const u = x25519.getPublicKey(k);
    const ed = montgomeryToEdwards(u);
    expect(ed25519.utils.toMontgomery(ed)).toEqual(u);
    expect((ed[31] as number) & 0x80).toBe(0);
  });

  it('refuses another key, another message, and any flipped bit of the signature', () => {
    const k = crypto.getRandomValues(new Uint8Array(32));
    const pub = x25519.getPublicKey(k);
    const other = x25519.getPublicKey(crypto.getRandomValues(new Uint8Array(32)));
    const sig = xeddsaSign(k, msg, rnd());
    expect(xeddsaVerify(other, msg, sig)).toBe(false);
    expect(xeddsaVerify(pub, new TextEncoder().encode('hellO'), sig)).toBe(false);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = sig.slice();
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(xeddsaVerify(pub, msg, bad)).toBe(false);
    }
  });

  it('refuses small-order keys and malformed input without throwing', () => {
    const sig = xeddsaSign(crypto.getRandomValues(new Uint8Array(32)), msg, rnd());
    expect(xeddsaVerify(new Uint8Array(32), msg, sig)).toBe(false); // u = 0
    const one = new Uint8Array(32);
    one[0] = 1; // u = 1 → y = 0: order 4
    expect(xeddsaVerify(one, msg, sig)).toBe(false);
    expect(xeddsaVerify(new Uint8Array(31), msg, sig)).toBe(false);
    expect(xeddsaVerify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false);
    expect(xeddsaVerify(x25519.getPublicKey(new Uint8Array(32).fill(1)), msg, sig.slice(0, 63))).toBe(false);
  });
});
