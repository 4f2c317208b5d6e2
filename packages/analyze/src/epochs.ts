/**
 * Per-epoch figures of a run with a directory (meta `epochs`): the active set and μ change at each
 * boundary, so H_out, the degree and the latency are read per epoch. The posterior itself is one pass
 * over the whole run (§2.1: pool averaging needs no layer and no m); only the targets are bucketed,
 * by the epoch their emission falls in. The §3 windows use the epoch's own μ: a target counts when
 * emitted after the warm-up (counted from the first epoch's start: the network runs from then, its
 * pools hold the untraced traffic too) and the epoch's first `settle` seconds (clients switch μ
 * when they fetch the new document), and before the run's drain.
 */
import { DelayStats } from './delays.js';
import { SenderAcc } from './metrics.js';
import { type Dist, Sample } from './stats.js';
import type { MetaEpoch, MetaHeader } from './trace-format.js';
import { toNs } from './trace-format.js';

export interface EpochResult {
  epoch: number;
  /** Bounds on the trace clock, seconds. */
  from: number;
  until: number;
  /** The μ the document published, ms. */
  muMs: number;
  /** Active mixes per layer (the least wide layer). */
  width: number;
  /** Packets clients emitted in the epoch (real and cover), per second: the offered traffic. */
  offeredPerSecond: number;
  hOut: Dist;
  degree: Dist;
  hSnd: Dist;
  /** End-to-end latency of real packets emitted in the epoch, client emission → delivery, ms. */
  latency: { n: number; p50: number; p95: number };
  /** Shifted-exponential fit of the true mix delays of the epoch, ms: does the network follow the μ published? */
  delays: { n: number; fittedCMs: number; fittedMMs: number };
}

interface Bucket {
  span: MetaEpoch;
  fromNs: number;
  untilNs: number;
  countFromNs: number;
  emitted: number;
  snd: SenderAcc | null;
  latency: Sample;
  delays: DelayStats;
}

export interface EpochWindows {
  /** Warm-up per epoch, from its own μ (§3: 0.5 s + 10·L·(m+c)). */
  warmupNs: (m: number) => number;
  /** Drain per epoch, from its own μ (§3: 0.5 s + 20·L·(m+c)). */
  drainNs: (m: number) => number;
  /** Seconds at the start of each epoch whose targets are left out. */
  settle: number;
}

export class EpochAccs {
  private readonly buckets: Bucket[];
  private readonly runStartNs: number;

  constructor(
    meta: MetaHeader,
    private readonly w: EpochWindows,
    private readonly seed: number,
  ) {
    const epochs = meta.epochs ?? [];
    this.runStartNs = toNs(epochs[0]?.from ?? meta.t_start ?? 0);
    this.buckets = epochs.map((span, i) => ({
      span,
      fromNs: toNs(span.from),
      untilNs: toNs(span.until),
      countFromNs: Math.max(toNs(span.from + w.settle), this.runStartNs + w.warmupNs(span.mean_delay)),
      emitted: 0,
      snd: null,
      latency: new Sample(1 << 14, seed + 31 * i),
      delays: new DelayStats(2000, seed + 31 * i + 7),
    }));
  }

  get enabled(): boolean {
    return this.buckets.length > 0;
  }

  /** The bucket index of a time (ns), or -1 outside every epoch. Epochs are few: a scan from the end. */
  indexOf(ns: number): number {
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      const b = this.buckets[i] as Bucket;
      if (ns >= b.fromNs) return ns < b.untilNs ? i : -1;
    }
    return -1;
  }

  emitted(ns: number): void {
    const i = this.indexOf(ns);
    if (i >= 0) (this.buckets[i] as Bucket).emitted++;
  }

  /** Whether a target emitted at `ns` in epoch `i` counts (the windows above), given the run's end. */
  counts(i: number, ns: number, tEndNs: number): boolean {
    const b = this.buckets[i];
    if (!b) return false;
    return ns >= b.countFromNs && ns <= tEndNs - this.w.drainNs(b.span.mean_delay);
  }

  /** A delivered real packet emitted at `emitNs`: its latency, and its sender posterior when a target. */
  delivered(emitNs: number, atNs: number): void {
    const i = this.indexOf(emitNs);
    if (i >= 0) (this.buckets[i] as Bucket).latency.add((atNs - emitNs) / 1e6);
  }

  sender(emitNs: number): SenderAcc | null {
    const i = this.indexOf(emitNs);
    const b = this.buckets[i];
    if (!b || emitNs < b.countFromNs) return null;
    b.snd ??= new SenderAcc(this.seed + 1000 + 17 * i);
    return b.snd;
  }

  mixDelay(ns: number, atNs: number): void {
    const i = this.indexOf(atNs);
    if (i >= 0) (this.buckets[i] as Bucket).delays.add(ns);
  }

  results(hOut: (i: number) => Dist): EpochResult[] {
    return this.buckets.map((b, i) => {
      const s = b.snd?.summary();
      const d = b.delays.result(0, 0, 1);
      const none: Dist = { mean: NaN, p10: NaN, p50: NaN, p90: NaN, n: 0 };
      const lat = b.latency.dist();
      const secs = (b.untilNs - b.fromNs) / 1e9;
      return {
        epoch: b.span.epoch,
        from: b.span.from,
        until: b.span.until,
        muMs: b.span.mean_delay * 1000,
        width: b.span.layers.length > 0 ? Math.min(...b.span.layers.map((l) => l.length)) : 0,
        offeredPerSecond: secs > 0 ? b.emitted / secs : 0,
        hOut: hOut(i),
        degree: s?.degree ?? none,
        hSnd: s?.hSnd ?? none,
        latency: { n: lat.n, p50: lat.p50, p95: b.latency.quantile(0.95) },
        delays: { n: d.n, fittedCMs: d.fittedC * 1000, fittedMMs: d.fittedM * 1000 },
      };
    });
  }
}
