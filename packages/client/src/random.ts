/** Cryptographic randomness for what an observer must not predict: routes and delays (Loopix §3). */

/**
 * Small draws (a route pick, a delay, a 16-byte tag) come from a pool filled by getRandomValues
 * 4 KiB at a time: the same CSPRNG output, without a call into it for each of the dozen or so
 * draws a packet takes. Every byte is handed out once.
 */
const POOL_SIZE = 4096;
const pool = new Uint8Array(POOL_SIZE);
const poolView = new DataView(pool.buffer);
let offset = POOL_SIZE;

function take(n: number): number {
  if (offset + n > POOL_SIZE) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** `n` fresh random bytes (a copy: the pool's bytes are never handed out twice). */
export function randomBytes(n: number): Uint8Array {
  if (n > 256) return crypto.getRandomValues(new Uint8Array(n));
  const at = take(n);
  const out = pool.slice(at, at + n);
  pool.fill(0, at, at + n);
  return out;
}

/** Uniform in [0, 1) with 53 random bits. */
export function uniform(): number {
  const at = take(8);
  const hi = poolView.getUint32(at);
  const lo = poolView.getUint32(at + 4);
  return (hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53;
}

export function pick<T>(items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(uniform() * items.length)] as T;
}

/** A draw from Exp(mean): the gap of a Poisson process, or a Loopix per-hop delay. */
export function exponential(mean: number): number {
  if (mean <= 0) return 0;
  return -Math.log(1 - uniform()) * mean;
}
