/** Entropy helpers, base 2 (ANONYMITY.md: "Logs base 2 unless noted"). */

/** −p·log2 p, with 0·log 0 = 0. */
export function plog2p(p: number): number {
  return p > 0 ? -p * Math.log2(p) : 0;
}

/** Shannon entropy in bits of a distribution given unnormalised, by its total. */
export function entropyBits(weights: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < weights.length; i++) z += weights[i] as number;
  if (!(z > 0)) return 0;
  let h = 0;
  for (let i = 0; i < weights.length; i++) h += plog2p((weights[i] as number) / z);
  return h;
}

/**
 * Entropy of the normalised distribution p/S from the sums S = Σp and T = Σ p·log2 p:
 * H = log2 S − T/S. Used for streamed forward posteriors (§2.2) and the timing estimator (§2.4).
 */
export function entropyFromSums(sum: number, sumPlog2p: number): number {
  if (!(sum > 0)) return 0;
  return Math.max(0, Math.log2(sum) - sumPlog2p / sum);
}
