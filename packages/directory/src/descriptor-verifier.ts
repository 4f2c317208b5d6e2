/**
 * The directory's cheap path for re-announces (issue 16): a node re-sends the same Sphinx keys and
 * proofs every announce, and signs with the same identity. So:
 * - a proof is checked once, then remembered by the hash of what it proves (key, message, proof);
 *   a new one (each node's next key, every key rotation) is an Ed25519 signature under the key's
 *   Edwards form (XEdDSA), so after the conversion and the small-order check it is checked natively;
 * - an identity key is vetted once by the strict pure-JS check (canonical, not small-order); after
 *   that its signatures are checked natively (node:crypto, ~20 × cheaper). OpenSSL refuses S ≥ L
 *   and compares the re-encoded R, so on a vetted key it accepts what the strict check accepts
 *   (up to the cofactor, which only the key's owner could exploit, and it can sign anyway).
 * Both caches are bounded; forgetting an entry only costs the slow check again.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { montgomeryToEdwards, type VerifyDescriptorOptions, verifyIdentitySignature } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';

export interface DescriptorVerifierOptions {
  /** Proofs and vetted keys remembered (each). Default 8192. */
  capacity?: number;
}

export interface DescriptorVerifier extends Required<Pick<VerifyDescriptorOptions, 'verifySignature' | 'verifyProof'>> {
  readonly stats: { proofHits: number; proofChecks: number; nativeVerifies: number; strictVerifies: number };
}

/** A Set that drops its oldest entry past `capacity`. */
function boundedSet<T>(capacity: number) {
  const set = new Set<T>();
  return {
    has: (v: T) => set.has(v),
    add(v: T) {
      set.add(v);
      if (set.size > capacity) set.delete(set.values().next().value as T);
    },
  };
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** xeddsaVerify's contract (wire/xeddsa.ts), with the Ed25519 equation checked by node:crypto. */
export function xeddsaVerifyNative(u: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (u.length !== 32 || signature.length !== 64) return false;
  try {
    const edwards = montgomeryToEdwards(u);
    if (ed25519.Point.fromBytes(edwards).isSmallOrder()) return false;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(edwards) }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function createDescriptorVerifier(opts: DescriptorVerifierOptions = {}): DescriptorVerifier {
  const capacity = opts.capacity ?? 8192;
  const proofs = boundedSet<string>(capacity);
  const vetted = new Map<string, KeyObject>();
  const stats = { proofHits: 0, proofChecks: 0, nativeVerifies: 0, strictVerifies: 0 };

  return {
    stats,
    verifyProof(key, message, proof) {
      const id = createHash('sha256').update(key).update(message).update(proof).digest('base64');
      if (proofs.has(id)) {
        stats.proofHits++;
        return true;
      }
      stats.proofChecks++;
      const ok = xeddsaVerifyNative(key, message, proof);
      if (ok) proofs.add(id);
      return ok;
    },
    verifySignature(signature, message, publicKey) {
      const id = Buffer.from(publicKey).toString('hex');
      const native = vetted.get(id);
      if (native) {
        stats.nativeVerifies++;
        return signature.length === 64 && verify(null, message, native, signature);
      }
      stats.strictVerifies++;
      if (!verifyIdentitySignature(signature, message, publicKey)) return false;
      vetted.set(id, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' }));
      if (vetted.size > capacity) vetted.delete(vetted.keys().next().value as string);
      return true;
    },
  };
}
