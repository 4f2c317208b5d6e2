/**
 * One-sample Kolmogorov–Smirnov test, used for the delay-model check of ANONYMITY.md §2.1/§3:
 * true per-hop delays tx − ti against c + Exp(m).
 */

export interface KsResult {
  /** The KS statistic D = sup |F_n − F|. */
  d: number;
  /** Asymptotic p-value with Stephens' small-sample correction. */
  pValue: number;
  n: number;
}

/** D for a sorted sample against a continuous CDF. */
export function ksStatistic(sorted: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i] as number);
    const hi = (i + 1) / n - f;
    const lo = f - i / n;
    if (hi > d) d = hi;
    if (lo > d) d = lo;
  }
  return d;
}

/** Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}, the Kolmogorov survival function. */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    // the Jacobi-theta form converges fast for small λ
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda));
    let sum = 0;
    for (let k = 1; k <= 7; k++) sum += y ** ((2 * k - 1) * (2 * k - 1));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** p-value of D for n samples: Q_KS((√n + 0.12 + 0.11/√n)·D). */
export function ksPValue(d: number, n: number): number {
  if (n === 0) return NaN;
  const s = Math.sqrt(n);
  return kolmogorovQ((s + 0.12 + 0.11 / s) * d);
}

/** The KS test of a sample (any order) against a continuous CDF. */
export function ksTest(sample: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const sorted = Float64Array.from(sample).sort();
  const d = ksStatistic(sorted, cdf);
  return { d, pValue: ksPValue(d, sorted.length), n: sorted.length };
}

/** CDF of c + Exp(mean m). */
export function shiftedExpCdf(c: number, m: number): (x: number) => number {
  return (x) => (x <= c ? 0 : 1 - Math.exp(-(x - c) / m));
}
