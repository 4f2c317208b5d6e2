/**
 * BigInt arithmetic over Curve25519's field (p = 2^255 − 19) and its prime group order ℓ, for the
 * few places that need it outside a library's X25519: legacy blinding (legacy.ts) and the sender's
 * combined blinding scalars (blinding.ts). Not constant-time.
 */

export const P = (1n << 255n) - 19n;
/** ℓ = 2^252 + 27742317777372353535851937790883648493. */
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** x mod p, in [0, p). */
export const mod = (x: bigint, m: bigint = P): bigint => {
  const r = x % m;
  return r < 0n ? r + m : r;
};

/** base^exp mod m (default p). */
export function pow(base: bigint, exp: bigint, m: bigint = P): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

export function fromLE(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i] as number);
  return x;
}

export function toLE32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0, v = x; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
