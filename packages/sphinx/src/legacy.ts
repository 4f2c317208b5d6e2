/**
 * Blinding of the legacy packet versions 1 and 257 (SPHINX.md Appendix B): next_alpha =
 * [bf mod ℓ]·alpha, the factor reduced mod the group order and not clamped, by a Montgomery ladder
 * on alpha's u-coordinate (curve25519-dalek `MontgomeryPoint * Scalar`). Libraries' X25519 always
 * clamps, so this is the RFC 7748 §5 ladder over plain BigInts. It is slow and not constant-time;
 * only legacy packets, which Nym clients no longer send, take this path.
 */
import { fromLE, L, mod, P, pow, toLE32 } from './scalar.js';

const A24 = 121665n;

/** [scalar]·u for any scalar below 2^255 (no clamping); the top bit of u is masked, u reduced mod p. */
export function montgomeryLadder(scalar: bigint, uBytes: Uint8Array): Uint8Array {
  const u = mod(fromLE(uBytes) & ((1n << 255n) - 1n));
  let [x2, z2, x3, z3] = [1n, 0n, u, 1n];
  let swap = 0n;
  for (let t = 254n; t >= 0n; t--) {
    const bit = (scalar >> t) & 1n;
    if (swap ^ bit) [x2, x3, z2, z3] = [x3, x2, z3, z2];
    swap = bit;
    const a = x2 + z2;
    const aa = mod(a * a);
    const b = x2 - z2;
    const bb = mod(b * b);
    const e = aa - bb;
    const c = x3 + z3;
    const d = x3 - z3;
    const da = mod(d * a);
    const cb = mod(c * b);
    x3 = mod((da + cb) ** 2n);
    z3 = mod(u * mod((da - cb) ** 2n));
    x2 = mod(aa * bb);
    z2 = mod(e * (aa + mod(A24 * e)));
  }
  if (swap) [x2, z2] = [x3, z3];
  // z2 = 0 (the point at infinity) gives u = 0, as dalek encodes it.
  return toLE32(mod(x2 * pow(z2, P - 2n)));
}

/** next_alpha for versions 1 and 257. */
export function legacyBlind(blindingFactor: Uint8Array, alpha: Uint8Array): Uint8Array {
  return montgomeryLadder(fromLE(blindingFactor) % L, alpha);
}
