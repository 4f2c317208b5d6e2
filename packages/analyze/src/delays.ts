/**
 * The delay-model check of §2.1/§3: true mix delays tx − ti (ground truth) against c + Exp(m), by a KS
 * test on a bounded seeded reservoir, plus the maximum-likelihood fit of a shifted exponential
 * (ĉ = min, m̂ = mean − ĉ) over all delays.
 */
import { type KsResult, ksTest, shiftedExpCdf } from './ks.js';
import { Sample } from './stats.js';

export interface DelayCheck {
  /** Number of mix hops seen. */
  n: number;
  /** Declared constant c and mean m (seconds). */
  c: number;
  m: number;
  /** Shifted-exponential MLE over all delays (seconds). */
  fittedC: number;
  fittedM: number;
  /** KS against the declared c + Exp(m), on up to `sampled` delays. */
  ks: KsResult & { accept: boolean; alpha: number };
  /** KS distance to the fitted model (no p-value: the parameters come from the data). */
  ksFittedD: number;
}

export class DelayStats {
  private readonly sample: Sample;
  private min = Infinity;
  private sum = 0;
  private n = 0;

  constructor(cap: number, seed: number) {
    this.sample = new Sample(cap, seed);
  }

  /** A true mix delay in ns. */
  add(ns: number): void {
    const s = ns / 1e9;
    this.n++;
    this.sum += s;
    if (s < this.min) this.min = s;
    this.sample.add(s);
  }

  result(c: number, m: number, alpha: number): DelayCheck {
    const values = this.sample.values();
    const fittedC = this.n > 0 ? this.min : NaN;
    const fittedM = this.n > 0 ? this.sum / this.n - this.min : NaN;
    let ks: KsResult;
    if (m > 0) ks = ksTest(values, shiftedExpCdf(c, m));
    else {
      // m = 0: the model is a point mass at c (1 µs tolerance for clock resolution)
      let off = 0;
      for (const x of values) if (Math.abs(x - c) > 1e-6) off++;
      const d = values.length > 0 ? off / values.length : NaN;
      ks = { d, pValue: d === 0 ? 1 : 0, n: values.length };
    }
    const ksFittedD = fittedM > 0 ? ksTest(values, shiftedExpCdf(fittedC, fittedM)).d : values.length > 0 ? 0 : NaN;
    return { n: this.n, c, m, fittedC, fittedM, ks: { ...ks, accept: ks.pValue >= alpha, alpha }, ksFittedD };
  }
}
