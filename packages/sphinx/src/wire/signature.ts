/**
 * Ed25519 checks for every signed thing of the network (gateway logins, descriptors, topology
 * documents): RFC 8032 strict verification, and small-order public keys refused, since any
 * signature "verifies" under them (issue 14 finding 14).
 */
import { ed25519 } from '@noble/curves/ed25519.js';

/** Whether a 32-byte Ed25519 public key decodes to a point of small order (or does not decode). */
export function isWeakEd25519Key(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return true;
  try {
    return ed25519.Point.fromBytes(publicKey).isSmallOrder();
  } catch {
    return true;
  }
}

/** Ed25519 verification that refuses small-order keys and malformed input (false, never throws). */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || isWeakEd25519Key(publicKey)) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
