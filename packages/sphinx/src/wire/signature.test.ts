import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { isWeakEd25519Key, verifyEd25519 } from './signature.js';

describe('verifyEd25519', () => {
  const sk = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(sk);
  const m = new Uint8Array([1, 2, 3]);

  it('accepts a good signature and refuses a changed message', () => {
    const sig = ed25519.sign(m, sk);
    expect(verifyEd25519(sig, m, pk)).toBe(true);
    expect(verifyEd25519(sig, new Uint8Array([1, 2, 4]), pk)).toBe(false);
  });

  it('refuses small-order keys, under which a forged signature verifies with plain ZIP-215 rules', () => {
    // The identity point (y = 1) and R = identity, s = 0: "valid" for every message under ZIP-215.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const forged = new Uint8Array(64);
    forged[0] = 1;
    expect(ed25519.verify(forged, m, identity)).toBe(true); // what the finding showed
    expect(isWeakEd25519Key(identity)).toBe(true);
    expect(verifyEd25519(forged, m, identity)).toBe(false);
    expect(isWeakEd25519Key(new Uint8Array(32))).toBe(true); // y = 0: order 4
    expect(isWeakEd25519Key(pk)).toBe(false);
  });

  it('never throws on malformed input', () => {
    expect(verifyEd25519(new Uint8Array(63), m, pk)).toBe(false);
    expect(verifyEd25519(new Uint8Array(64), m, new Uint8Array(31))).toBe(false);
    expect(verifyEd25519(new Uint8Array(64), m, new Uint8Array(32).fill(0xff))).toBe(false);
  });
});
