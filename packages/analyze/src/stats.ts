/** Streaming aggregates: exact means and counts, quantiles from a bounded seeded reservoir (§3 aggregates). */
import { Rng } from './prng.js';

/** Mean, median, p10 and p90 over targets, and their number (§3). NaN when n = 0. */
export interface Dist {
  mean: number;
  p10: number;
  p50: number;
  p90: number;
  n: number;
}

/**
 * The project's one quantile rule (analysis, bench, perf gate, experiments): linear interpolation
 * between order statistics (Hyndman–Fan type 7, R's and NumPy's default) over ascending `sorted`.
 * So the median of an even count is the mean of the two middle values. NaN when empty; ±Infinity allowed.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const frac = h - lo;
  const a = sorted[lo] as number;
  if (frac === 0 || lo + 1 >= sorted.length) return a;
  const b = sorted[lo + 1] as number;
  if (a === b || !Number.isFinite(b)) return b === a ? a : b;
  return a + (b - a) * frac;
}

/** `quantileSorted` over values in any order (not modified). */
export function quantile(values: readonly number[], p: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** The median by the one rule: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Exact count and mean; quantiles exact up to `cap` values, then from a uniform reservoir of that size. */
export class Sample {
  n = 0;
  private sum = 0;
  private readonly res: Float64Array;
  private readonly rng: Rng;
  private sorted: Float64Array | null = null;

  constructor(cap = 1 << 17, seed = 1) {
    this.res = new Float64Array(cap);
    this.rng = new Rng(seed);
  }

  add(x: number): void {
    this.sum += x;
    const cap = this.res.length;
    if (this.n < cap) this.res[this.n] = x;
    else {
      const j = Math.floor(this.rng.next() * (this.n + 1));
      if (j < cap) this.res[j] = x;
    }
    this.n++;
    this.sorted = null;
  }

  get mean(): number {
    return this.n > 0 ? this.sum / this.n : NaN;
  }

  /** The kept values, sorted. */
  values(): Float64Array {
    if (!this.sorted) this.sorted = this.res.slice(0, Math.min(this.n, this.res.length)).sort();
    return this.sorted;
  }

  /** Linear-interpolation quantile (type 7); ±Infinity values allowed. */
  quantile(p: number): number {
    return quantileSorted(this.values(), p);
  }

  dist(): Dist {
    return { mean: this.mean, p10: this.quantile(0.1), p50: this.quantile(0.5), p90: this.quantile(0.9), n: this.n };
  }
}

/** Running mean and standard error of the mean. */
export class MeanSe {
  n = 0;
  private sum = 0;
  private sumsq = 0;

  add(x: number): void {
    this.n++;
    this.sum += x;
    this.sumsq += x * x;
  }

  get mean(): number {
    return this.n > 0 ? this.sum / this.n : NaN;
  }

  get se(): number {
    if (this.n < 2) return NaN;
    const m = this.sum / this.n;
    const variance = Math.max(0, (this.sumsq - this.n * m * m) / (this.n - 1));
    return Math.sqrt(variance / this.n);
  }
}
