/**
 * The sender's shared secrets with about one X25519 ladder per hop (SPHINX.md §3, step 1).
 *
 * As written, s_i = X25519(b_{i−1}, … X25519(b_0, X25519(x, pk_i))) takes i + 1 ladders, 11 for a
 * 4-hop header (Nym's create does the same). Every X25519 clamps its scalar, and a chain of them
 * multiplies the clamped integers, so s_i = u([K_i]·pk_i) with K_i = clamp(x)·clamp(b_0)⋯clamp(b_{i−1}).
 * On the curve (order 8ℓ) only K_i mod ℓ matters, because every clamped integer is a multiple of 8
 * and clears the cofactor part. One ladder gives the same bytes when some clamped scalar c is
 * ≡ ±K_i (mod ℓ) (u(−Q) = u(Q)): c = 2^254 + 8m with m = (±K_i − 2^254)/8 mod ℓ and m < 2^251.
 * The two signs' m add up to ℓ − 2^252 (mod ℓ), so both miss only when K_i ≡ 8e (mod ℓ) with
 * |e| ≤ ℓ − 2^252 ≈ 2^124: about 2^125 values out of ℓ ≈ 2^252, never met in practice. Should it
 * happen, that hop takes the chain as written. A key on the twist
 * rather than the curve (no real node's key) has another group order, so it takes the chain as
 * written. The scalar arithmetic is BigInt and not constant-time; it runs once on a one-time secret.
 */
import type { CryptoBackend } from './crypto/backend.js';
import { fromLE, L, mod, P, pow, toLE32 } from './scalar.js';

const TWO_254 = 1n << 254n;
const M_LIMIT = 1n << 251n;
const INV8 = pow(8n, L - 2n, L);
const A = 486662n;

/** The integer X25519 multiplies by: RFC 7748 §5 clamping. */
function clamped(scalar: Uint8Array): bigint {
  const c = scalar.slice(0, 32);
  c[0] = (c[0] as number) & 248;
  c[31] = ((c[31] as number) & 127) | 64;
  return fromLE(c);
}

/** A scalar that clamping leaves unchanged and that is ≡ ±k (mod ℓ), or null when there is none. */
export function clampedRepresentative(k: bigint): Uint8Array | null {
  for (const t of [k, L - k]) {
    const m = (mod(t - TWO_254, L) * INV8) % L;
    if (m < M_LIMIT) return toLE32(TWO_254 + 8n * m);
  }
  return null;
}

/** Whether u (top bit masked, as X25519 reads it) is on Curve25519 rather than its twist. */
export function onCurve(uBytes: Uint8Array): boolean {
  const u = mod(fromLE(uBytes) & ((1n << 255n) - 1n));
  const v = mod(u * mod(u * u + A * u + 1n));
  return v === 0n || pow(v, (P - 1n) / 2n) === 1n;
}

// Topologies are small and keys long-lived: one Legendre symbol (~0.1 ms) per key, remembered.
const CURVE_CACHE_LIMIT = 4096;
const curveCache = new Map<string, boolean>();
function onCurveCached(u: Uint8Array): boolean {
  const key = String.fromCharCode(...u);
  let hit = curveCache.get(key);
  if (hit === undefined) {
    if (curveCache.size >= CURVE_CACHE_LIMIT) curveCache.clear();
    hit = onCurve(u);
    curveCache.set(key, hit);
  }
  return hit;
}

export interface BlindingChain {
  /** s_i for the next hop: pk multiplied by x and by every factor passed to blind() so far. */
  sharedSecret(publicKey: Uint8Array): Uint8Array;
  /** Appends the blinding factor b_i derived from hop i's shared secret. */
  blind(factor: Uint8Array): void;
}

export function createBlindingChain(backend: CryptoBackend, initialSecret: Uint8Array): BlindingChain {
  const factors: Uint8Array[] = [initialSecret];
  // K over all factors so far, mod ℓ.
  let product = mod(clamped(initialSecret), L);

  return {
    sharedSecret(publicKey) {
      // Hop 0 needs only x itself; later hops one ladder by K's representative, when there is one.
      const c = factors.length === 1 ? initialSecret : onCurveCached(publicKey) ? clampedRepresentative(product) : null;
      if (c) return backend.x25519(c, publicKey);
      let acc = publicKey;
      for (const f of factors) acc = backend.x25519(f, acc);
      return acc;
    },
    blind(factor) {
      factors.push(factor);
      product = (product * clamped(factor)) % L;
    },
  };
}
