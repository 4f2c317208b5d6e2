/**
 * XEdDSA (Signal's XEdDSA and VXEdDSA spec, rev. 1, §2.3): an Ed25519-compatible signature made with
 * an X25519 private key and checked with the X25519 public key alone. The directory uses it as the
 * proof that a node holds the Sphinx key it announces (docs/directory.md §2). BigInt arithmetic,
 * not constant-time: it signs once per key rotation, never per packet.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../bytes.js';
import { fromLE, L, mod, P, pow, toLE32 } from '../scalar.js';

/** hash_1's prefix: 2^256 − 2 as 32 little-endian bytes (§2.5). */
const HASH1_PREFIX = (() => {
  const b = new Uint8Array(32).fill(0xff);
  b[0] = 0xfe;
  return b;
})();

function clamp(k: Uint8Array): bigint {
  const c = k.slice(0, 32);
  c[0] = (c[0] as number) & 248;
  c[31] = ((c[31] as number) & 127) | 64;
  return fromLE(c);
}

/** The Edwards form (sign bit 0) of a Montgomery u-coordinate: y = (u − 1)/(u + 1) (§2.2, convert_mont). */
export function montgomeryToEdwards(u: Uint8Array): Uint8Array {
  if (u.length !== 32) throw new RangeError('an X25519 public key is 32 bytes');
  const x = fromLE(u) & ((1n << 255n) - 1n); // RFC 7748 masks the top bit
  const uu = mod(x);
  if (uu === P - 1n) throw new RangeError('u = −1 has no Edwards form');
  const y = mod((uu - 1n) * pow(uu + 1n, P - 2n));
  return toLE32(y); // sign bit 0
}

/** Signs `message` with X25519 private key `k`; `random` is 64 fresh bytes (the nonce's Z). */
export function xeddsaSign(k: Uint8Array, message: Uint8Array, random: Uint8Array): Uint8Array {
  if (k.length !== 32 || random.length !== 64) throw new RangeError('xeddsaSign: 32-byte key and 64 random bytes');
  // calculate_key_pair: A = kB, and the scalar that gives A's sign bit 0.
  let a = mod(clamp(k), L);
  const A = ed25519.Point.BASE.multiply(a);
  const aBytes = A.toBytes();
  let publicA = aBytes;
  if (((aBytes[31] as number) & 0x80) !== 0) {
    a = mod(-a, L);
    publicA = A.negate().toBytes();
  }
  const r = mod(fromLE(sha512(concatBytes(HASH1_PREFIX, toLE32(a), message, random))), L);
  const R = ed25519.Point.BASE.multiply(r === 0n ? 1n : r).toBytes();
  const h = mod(fromLE(sha512(concatBytes(R, publicA, message))), L);
  const s = mod(r + h * a, L);
  return concatBytes(R, toLE32(s));
}

/** Checks an XEdDSA signature against an X25519 public key; false for any malformed input. */
export function xeddsaVerify(u: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (u.length !== 32 || signature.length !== 64) return false;
  let edwards: Uint8Array;
  try {
    edwards = montgomeryToEdwards(u);
    if (ed25519.Point.fromBytes(edwards).isSmallOrder()) return false;
    return ed25519.verify(signature, message, edwards, { zip215: false });
  } catch {
    return false;
  }
}
