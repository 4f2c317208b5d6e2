/** Cryptographic randomness for what an observer must not predict: routes and delays (Loopix §3). */

const buf = new Uint32Array(2);

/** Uniform in [0, 1) with 53 random bits. */
export function uniform(): number {
  crypto.getRandomValues(buf);
  return ((buf[0] as number) * 2 ** 21 + ((buf[1] as number) >>> 11)) / 2 ** 53;
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
