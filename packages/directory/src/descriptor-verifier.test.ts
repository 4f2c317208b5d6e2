import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '@mixnet/sphinx';
import {
  DescriptorError,
  type NodeDescriptor,
  signDescriptor,
  sphinxKeyEntry,
  sphinxKeyProofMessage,
  verifyDescriptor,
  xeddsaSign,
  xeddsaVerify,
} from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDescriptorVerifier, xeddsaVerifyNative } from './descriptor-verifier.js';

function node() {
  const identity = ed25519.utils.randomSecretKey();
  const identityPublic = ed25519.getPublicKey(identity);
  const keys = [generateKeyPair(), generateKeyPair()];
  const sphinxKeys = keys.map((k, i) => sphinxKeyEntry(i, k.privateKey, k.publicKey, identityPublic));
  const descriptor = (issuedAt: number): NodeDescriptor => ({
    v: 1,
    kind: 'node',
    id: 'mix-1-1',
    role: 'mix',
    identityKey: Buffer.from(identityPublic).toString('hex'),
    sphinxKeys,
    address: '127.0.0.1:4000',
    software: 'mixnet/test',
    issuedAt,
  });
  return { identity, identityPublic, keys, descriptor };
}

describe('descriptor verifier (the directory’s cheap re-announce path)', () => {
  it('checks a proof once and a vetted key natively; a re-announce costs no pure-JS verify', () => {
    const v = createDescriptorVerifier();
    const n = node();
    const now = Date.now();
    verifyDescriptor(signDescriptor(n.descriptor(now), n.identity), { ...v, now });
    expect(v.stats).toEqual({ proofHits: 0, proofChecks: 2, nativeVerifies: 0, strictVerifies: 1 });
    verifyDescriptor(signDescriptor(n.descriptor(now + 1), n.identity), { ...v, now });
    expect(v.stats).toEqual({ proofHits: 2, proofChecks: 2, nativeVerifies: 1, strictVerifies: 1 });
  });

  it('still refuses a bad signature from a vetted key, and a proof it has not seen', () => {
    const v = createDescriptorVerifier();
    const n = node();
    const now = Date.now();
    verifyDescriptor(signDescriptor(n.descriptor(now), n.identity), { ...v, now });
    const forged = signDescriptor(n.descriptor(now + 1), ed25519.utils.randomSecretKey());
    expect(() => verifyDescriptor(forged, { ...v, now })).toThrow(DescriptorError);
    const sig = signDescriptor(n.descriptor(now + 2), n.identity);
    const flipped = { ...sig, signature: (sig.signature[0] === 'a' ? 'b' : 'a') + sig.signature.slice(1) };
    expect(() => verifyDescriptor(flipped, { ...v, now })).toThrow(/signature/);
    // Another key's proof moved under this identity: not the proof that was checked.
    const other = node();
    const d = { ...n.descriptor(now + 3), sphinxKeys: other.descriptor(0).sphinxKeys };
    expect(() => verifyDescriptor(signDescriptor(d, n.identity), { ...v, now })).toThrow(/proof/);
  });

  it('property: the native XEdDSA check agrees with the pure-JS one on good and mutated proofs', () => {
    const k = generateKeyPair();
    const id = randomBytes(32);
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), fc.nat(63), fc.nat(255), (rotation, at, xor) => {
        const message = sphinxKeyProofMessage(id, rotation, k.publicKey);
        const proof = xeddsaSign(k.privateKey, message, randomBytes(64));
        expect(xeddsaVerifyNative(k.publicKey, message, proof)).toBe(true);
        const bad = proof.slice();
        bad[at] = (bad[at] as number) ^ (xor || 1);
        expect(xeddsaVerifyNative(k.publicKey, message, bad)).toBe(xeddsaVerify(k.publicKey, message, bad));
      }),
      { numRuns: 60 },
    );
    expect(xeddsaVerifyNative(new Uint8Array(32), new Uint8Array(8), new Uint8Array(64))).toBe(false);
  });
});
