/**
 * The per-target outputs of ANONYMITY.md §3 and their aggregates: forward entropy H_out (§2.2), the sender
 * posterior metrics H_snd, d, p_true, top-1, LL, Loopix ε/δ (§2.3, §3), and the calibration check.
 */
import { entropyFromSums } from './entropy.js';
import type { Sparse } from './pools.js';
import { type Dist, MeanSe, Sample } from './stats.js';

/** Calibration (§3): mean(LL) − mean(H) and its standard error; report gap ± 2·se. */
export interface Calibration {
  gap: number;
  se: number;
  /** Targets with finite log-loss. */
  n: number;
  /** Targets whose truth got probability 0 (infinite log-loss), left out of the gap. */
  infinite: number;
}

export interface ForwardSummary {
  /** H_out in bits over forward targets. */
  hOut: Dist;
  /** 2^H_out: the effective number of exit packets a target hides among. */
  effective: Dist;
  /** Forward residual mass 1 − Σ_o p_T(o) (≲ 1e-6 expected). */
  residual: { mean: number; max: number };
  /** Log-loss −log2 p_T(true exit), mean over the finite ones. */
  ll: { mean: number; n: number; infinite: number };
  calibration: Calibration;
  /** Targets whose own packet never left the last layer (still inside at the end). */
  noExit: number;
}

/** ε quantiles may be infinite ("ε with probability 1−δ"): reported as the string 'inf'. */
export type MaybeInf = number | 'inf';

export interface SenderSummary {
  /** H_snd in bits over delivered real targets. */
  hSnd: Dist;
  /** 2^H_snd: the effective anonymity set of senders. */
  effective: Dist;
  /** d = H_snd / log2 N (0 when N ≤ 1). */
  degree: Dist;
  /** N: clients other than R that emitted in [t − T_w, t]. */
  activeSenders: { mean: number };
  pTrue: { mean: number };
  /** Share of targets whose argmax q is the true sender (ties share the credit). */
  top1: number;
  /** LL = −log2 p_true, mean over the finite ones. */
  ll: { mean: number; n: number; infinite: number };
  /** Loopix ε = |ln(q(s*)/q(s'))| over (target, other active sender) pairs, natural log (§3). */
  epsilon: { p50: MaybeInf; p95: MaybeInf; meanFinite: number; pairs: number };
  /** Share of pairs with q(s') = 0 exactly. */
  delta: number;
  calibration: Calibration;
  /** Deliveries whose vector carried no sender mass (origin outside the trace). */
  noMass: number;
}

function grow(a: Float64Array, n: number, fill: number): Float64Array {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2)).fill(fill);
  b.set(a);
  return b;
}

/** Forward posterior accumulators for one estimator. Per target: Σp, Σ p·log2 p, and p at the true exit. */
export class ForwardAcc {
  private mass: Float64Array = new Float64Array(256);
  private plogp: Float64Array = new Float64Array(256);
  private ptrue: Float64Array = new Float64Array(256).fill(NaN);

  /** `normalise`: divide by Σ_o p (the timing estimator's outputs are not a distribution over exits). */
  constructor(private readonly normalise: boolean) {}

  ensure(n: number): void {
    this.mass = grow(this.mass, n, 0);
    this.plogp = grow(this.plogp, n, 0);
    this.ptrue = grow(this.ptrue, n, NaN);
  }

  /** A departure from the last layer carrying forward masses; `trueTarget` is the target it really is. */
  exit(fwd: Sparse | null, trueTarget: number): void {
    if (fwd) {
      for (const [t, p] of fwd) {
        this.mass[t] = (this.mass[t] as number) + p;
        if (p > 0) this.plogp[t] = (this.plogp[t] as number) + p * Math.log2(p);
      }
    }
    if (trueTarget >= 0 && Number.isNaN(this.ptrue[trueTarget] as number)) {
      this.ptrue[trueTarget] = fwd?.get(trueTarget) ?? 0;
    }
  }

  summary(count: number, include: (t: number) => boolean, seed: number): ForwardSummary {
    const h = new Sample(1 << 17, seed);
    const eff = new Sample(1 << 17, seed + 1);
    const ll = new Sample(1 << 17, seed + 2);
    const cal = new MeanSe();
    let resSum = 0;
    let resMax = 0;
    let infinite = 0;
    let noExit = 0;
    for (let t = 0; t < count; t++) {
      if (!include(t)) continue;
      const m = this.mass[t] as number;
      // H_out(T) = −Σ_o p_T(o)·log p_T(o) (§2.2); normalised for the timing estimator
      const H = this.normalise ? entropyFromSums(m, this.plogp[t] as number) : Math.max(0, -(this.plogp[t] as number));
      h.add(H);
      eff.add(2 ** H);
      const r = Math.abs(1 - m);
      resSum += r;
      if (r > resMax) resMax = r;
      const pt = this.ptrue[t] as number;
      if (Number.isNaN(pt)) {
        noExit++;
        continue;
      }
      const p = this.normalise && m > 0 ? pt / m : pt;
      if (p > 0) {
        const loss = -Math.log2(p);
        ll.add(loss);
        cal.add(loss - H);
      } else infinite++;
    }
    return {
      hOut: h.dist(),
      effective: eff.dist(),
      residual: { mean: h.n > 0 ? resSum / h.n : NaN, max: resMax },
      ll: { mean: ll.mean, n: ll.n, infinite },
      calibration: { gap: cal.mean, se: cal.se, n: cal.n, infinite },
      noExit,
    };
  }
}

function inf(x: number): MaybeInf {
  return x === Infinity ? 'inf' : x;
}

/** Sender posterior accumulators for one estimator and one π (§2.3). */
export class SenderAcc {
  private readonly h: Sample;
  private readonly eff: Sample;
  private readonly degree: Sample;
  private readonly eps: Sample;
  private readonly ll = new MeanSe();
  private readonly cal = new MeanSe();
  private readonly active = new MeanSe();
  private readonly pTrue = new MeanSe();
  private top1 = 0;
  private llInfinite = 0;
  private epsFiniteSum = 0;
  private epsFinite = 0;
  private zeroPairs = 0;
  private noMass = 0;

  constructor(seed: number) {
    this.h = new Sample(1 << 17, seed);
    this.eff = new Sample(1 << 17, seed + 1);
    this.degree = new Sample(1 << 17, seed + 2);
    this.eps = new Sample(1 << 17, seed + 3);
  }

  /**
   * One delivered real target. `v[offset + s]` is the label mass of client s; q(s) ∝ v(s)·[s ≠ R] (§2.3).
   * `active` lists the clients other than R that emitted in [t − T_w, t] (§3).
   */
  add(
    v: Float64Array,
    offset: number,
    clients: number,
    recipient: number,
    sender: number,
    active: readonly number[],
  ): void {
    let z = 0;
    for (let s = 0; s < clients; s++) if (s !== recipient) z += v[offset + s] as number;
    if (!(z > 0)) {
      this.noMass++;
      return;
    }
    let H = 0;
    let max = 0;
    let ties = 0;
    for (let s = 0; s < clients; s++) {
      if (s === recipient) continue;
      const q = (v[offset + s] as number) / z;
      if (q > 0) H -= q * Math.log2(q);
      if (q > max) {
        max = q;
        ties = 1;
      } else if (q === max) ties++;
    }
    H = Math.max(0, H);
    const qTrue = sender >= 0 && sender !== recipient ? (v[offset + sender] as number) / z : 0;
    const N = active.length;
    this.h.add(H);
    this.eff.add(2 ** H);
    this.degree.add(N > 1 ? H / Math.log2(N) : 0);
    this.active.add(N);
    this.pTrue.add(qTrue);
    if (qTrue === max && qTrue > 0) this.top1 += 1 / ties;
    if (qTrue > 0) {
      const loss = -Math.log2(qTrue);
      this.ll.add(loss);
      this.cal.add(loss - H);
    } else this.llInfinite++;
    // Loopix unlinkability (§3): ε = |ln(q(s*)/q(s'))| for every other active sender s'
    for (const s of active) {
      if (s === sender) continue;
      const q = (v[offset + s] as number) / z;
      if (q === 0) {
        this.zeroPairs++;
        this.eps.add(Infinity);
        continue;
      }
      const e = qTrue > 0 ? Math.abs(Math.log(qTrue / q)) : Infinity;
      this.eps.add(e);
      if (e !== Infinity) {
        this.epsFiniteSum += e;
        this.epsFinite++;
      }
    }
  }

  summary(): SenderSummary {
    const n = this.h.n;
    return {
      hSnd: this.h.dist(),
      effective: this.eff.dist(),
      degree: this.degree.dist(),
      activeSenders: { mean: this.active.mean },
      pTrue: { mean: this.pTrue.mean },
      top1: n > 0 ? this.top1 / n : NaN,
      ll: { mean: this.ll.mean, n: this.ll.n, infinite: this.llInfinite },
      epsilon: {
        p50: inf(this.eps.quantile(0.5)),
        p95: inf(this.eps.quantile(0.95)),
        meanFinite: this.epsFinite > 0 ? this.epsFiniteSum / this.epsFinite : NaN,
        pairs: this.eps.n,
      },
      delta: this.eps.n > 0 ? this.zeroPairs / this.eps.n : NaN,
      calibration: { gap: this.cal.mean, se: this.cal.se, n: this.cal.n, infinite: this.llInfinite },
      noMass: this.noMass,
    };
  }
}

/** Which clients emitted recently: per client a queue of emission times (ns), trimmed as time moves on. */
export class Activity {
  private readonly times: number[][];
  private readonly heads: number[];
  readonly emitted: boolean[];

  constructor(
    clients: number,
    private readonly keepNs: number,
  ) {
    this.times = Array.from({ length: clients }, () => []);
    this.heads = new Array<number>(clients).fill(0);
    this.emitted = new Array<boolean>(clients).fill(false);
  }

  record(client: number, ns: number): void {
    const q = this.times[client] as number[];
    q.push(ns);
    this.emitted[client] = true;
    let h = this.heads[client] as number;
    while (h < q.length && (q[h] as number) < ns - this.keepNs) h++;
    if (h > 256 && h * 2 > q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.heads[client] = h;
  }

  /** Clients other than `except` with an emission in [from, to]. */
  active(from: number, to: number, except: number): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.times.length; c++) {
      if (c === except) continue;
      const q = this.times[c] as number[];
      // binary search for the first time >= from
      let lo = this.heads[c] as number;
      let hi = q.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((q[mid] as number) < from) lo = mid + 1;
        else hi = mid;
      }
      if (lo < q.length && (q[lo] as number) <= to) out.push(c);
    }
    return out;
  }
}
