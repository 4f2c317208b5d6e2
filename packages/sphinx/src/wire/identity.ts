/**
 * Ed25519 identity signatures as every part of the network checks them (gateway auth, and the
 * directory's descriptors). Two refusals on top of a plain verify:
 * - small-order public keys (the 8 points of order dividing 8, all-zero key included): with one,
 *   a signature can verify for many messages without any secret (RFC 8032 allows it; ZIP-215 too),
 *   so anyone could log in as that address;
 * - non-canonical encodings of the key or of R (RFC 8032 strict mode, not ZIP-215).
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export const IDENTITY_KEY_SIZE = 32;
export const IDENTITY_SIGNATURE_SIZE = 64;

/**
 * Whether `key` is an Ed25519 public key of small order (what no honest key generation gives),
 * in any encoding, canonical or not. A key that does not decode to a curve point is not
 * small-order: `verifyIdentitySignature` refuses it anyway.
 */
export function isSmallOrderEd25519Key(key: Uint8Array): boolean {
  if (!(key instanceof Uint8Array) || key.length !== IDENTITY_KEY_SIZE) return false;
  try {
    return ed25519.Point.fromBytes(key, true).isSmallOrder();
  } catch {
    return false;
  }
}

/** true only for a valid strict Ed25519 signature by a 32-byte, canonical, not small-order key. */
export function verifyIdentitySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== IDENTITY_KEY_SIZE) return false;
  if (!(signature instanceof Uint8Array) || signature.length !== IDENTITY_SIGNATURE_SIZE) return false;
  let point: InstanceType<typeof ed25519.Point>;
  try {
    point = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  if (point.isSmallOrder()) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
