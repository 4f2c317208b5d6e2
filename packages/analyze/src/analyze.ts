/**
 * The analyzer: one streaming pass over a trace (§5) computing the exact posterior (§2.1–2.3), the
 * optional timing estimator (§2.4), and the §3 outputs with warm-up, drain, calibration and the delay check.
 */
import { type DelayCheck, DelayStats } from './delays.js';
import { EpochAccs, type EpochResult } from './epochs.js';
import {
  Activity,
  type Calibration,
  ForwardAcc,
  type ForwardSummary,
  SenderAcc,
  type SenderSummary,
} from './metrics.js';
import { Engine, type EngineCounters, type EngineHooks } from './posterior.js';
import { hashUnit } from './prng.js';
import type { Dist } from './stats.js';
import { Topology, windows } from './topology.js';
import { KIND_REAL, type MetaHeader, TraceError, toNs } from './trace-format.js';
import { fileSource, mergeSources, resolveTracePaths, type TraceSource } from './trace-reader.js';

export type PiMode = 'flat' | 'gap' | 'both';

export interface AnalyzeOptions {
  /** Fraction of target messages analysed (`--sample R`), for forward and sender targets. Default 1. */
  sample?: number;
  /** Overrides `sample` for forward targets (§5: 1 in 10⁴ is enough for 10⁶-packet runs). */
  forwardSample?: number;
  /** Overrides `sample` for sender targets. */
  senderSample?: number;
  /** Seed for target sampling and reservoirs. Default 1. */
  seed?: number;
  /** Warm-up T_w in seconds (default §3: 0.5 + 10·L·(m+c)). */
  warmup?: number;
  /** Drain T_d in seconds (default §3: 0.5 + 20·L·(m+c)). */
  drain?: number;
  /** Prior π that a packet is real (§2.3). Default: 'both' for a buffered scheme with cover, else 'flat'. */
  pi?: PiMode;
  /** λ_real per client (1/s) for gap-weighted π; default the header's params.rates.real. */
  lambdaReal?: number;
  /** Also run the timing-likelihood estimator (§2.4). Default false. */
  timing?: boolean;
  /** Clock skew + link latency bound, seconds (§5). Default params.watermark, else 0.01. */
  watermark?: number;
  /** Gateway relay window, seconds. Default params.gateway_window, else 0. */
  gatewayWindow?: number;
  /** Mean extra gateway delay, seconds (> 0 makes gateways pools). Default params.gateway_delay, else 0. */
  gatewayDelay?: number;
  /** Fields replacing (or standing in for) the trace's meta header. */
  meta?: Partial<MetaHeader>;
  /** Delays kept for the KS test. Default 20000. */
  ksSample?: number;
  /** KS significance level. Default 0.01. */
  alpha?: number;
  /**
   * Runs with epochs (meta `epochs`): seconds at the start of each epoch whose targets are left out
   * while clients move to the new document. Default 0.5.
   */
  settle?: number;
}

/** Sender metrics per π: flat (Simulator-comparable) and/or gap-weighted (the better adversary). */
export interface SenderByPi {
  flat?: SenderSummary;
  gap?: SenderSummary;
}

export interface AnalyzeResult {
  /** H_out (bits) of the exact forward posterior over forward targets (§2.2). */
  hOut: Dist;
  /** H_snd (bits) of the exact sender posterior, primary π (§2.3). */
  hSnd: Dist;
  /** Degree of anonymity d = H_snd / log2 N. */
  degree: Dist;
  epsilon: SenderSummary['epsilon'];
  delta: number;
  /** Clients that emitted at least one packet. */
  senders: number;
  calibration: { out: Calibration; snd: Calibration };
  /** The π used by the top-level sender fields. */
  primaryPi: 'flat' | 'gap';
  forward: ForwardSummary;
  sender: SenderSummary;
  senderByPi: SenderByPi;
  /** The timing estimator (§2.4), when enabled. */
  timing?: { forward: ForwardSummary; sender: SenderByPi };
  /** True delays against c + Exp(m) (§2.1, §3). */
  delays: DelayCheck;
  network: {
    clients: number;
    gateways: number;
    layers: number;
    width: number;
    meanDelay: number;
    proc: number;
    tStart: number;
    tEnd: number;
    scheme: string | null;
  };
  /** The §3 windows actually used, seconds. */
  windows: { warmup: number; drain: number };
  targets: { forward: number; sender: number };
  counts: EngineCounters & { maxTime: number };
  /** Runs with a directory: the figures of each epoch (epochs.ts). */
  epochs?: EpochResult[];
}

interface Accs {
  fwd: ForwardAcc;
  snd: SenderAcc[];
}

/** Analyses trace files and/or folders of `*.jsonl` files (any order). */
export async function analyzeTraces(paths: readonly string[], opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const files = await resolveTracePaths(paths);
  return analyzeSources(files.map(fileSource), opts);
}

/** Analyses trace sources (files or in-memory line lists, any order). */
export async function analyzeSources(
  sources: readonly TraceSource[],
  opts: AnalyzeOptions = {},
): Promise<AnalyzeResult> {
  let run: Run | null = null;
  let maxTime = -Infinity;
  await mergeSources(sources, {
    start(meta) {
      run = new Run(meta, opts);
    },
    line(l) {
      const t = Number.isNaN(l.tx) ? l.ti : l.tx;
      if (t > maxTime) maxTime = t;
      (run as Run).engine.line(l);
    },
    frontier(ns) {
      (run as Run).engine.setFrontier(ns);
    },
  });
  if (!run) throw new TraceError('no trace input');
  return (run as Run).result(maxTime);
}

class Run {
  readonly engine: Engine;
  private readonly meta: MetaHeader;
  private readonly C: number;
  private readonly variants: ('flat' | 'gap')[];
  private readonly exact: Accs;
  private readonly timing: Accs | null;
  private readonly delays: DelayStats;
  private readonly activity: Activity;
  private readonly lastEmit: Float64Array;
  private readonly emitNs: number[] = [];
  /** The epoch (bucket index) of each forward target, -1 when it counts in none. */
  private readonly emitEpoch: number[] = [];
  private readonly epochs: EpochAccs;
  /** Where the primary π's coordinates start in a label vector, in units of C. */
  private readonly primaryIndex: number;
  private readonly warmupNs: number;
  private readonly drainNs: number;
  private readonly tStartNs: number;
  private readonly lambdaReal: number;
  private readonly fwdSample: number;
  private readonly sndSample: number;
  private readonly seed: number;
  private sndTargets = 0;

  constructor(
    header: MetaHeader | null,
    private readonly opts: AnalyzeOptions,
  ) {
    if (!header && !opts.meta) throw new TraceError('no meta header in any input (a {"type":"meta",...} first line)');
    const meta = { ...(header ?? {}), ...(opts.meta ?? {}), type: 'meta' } as MetaHeader;
    if (!meta.clients || !meta.layers) throw new TraceError('the meta header needs "clients" and "layers"');
    meta.gateways ??= [];
    this.meta = meta;
    const topo = new Topology(meta);
    this.C = meta.clients.length;
    const params = meta.params ?? {};
    const cover = params.cover ?? ((params.rates?.payload ?? 0) > 0 || (params.rates?.loop ?? 0) > 0);
    this.lambdaReal = opts.lambdaReal ?? params.rates?.real ?? NaN;
    // By default a buffered scheme gets both priors; without λ_real only the flat one can be computed.
    const mode: PiMode = opts.pi ?? (params.scheme === 'buffered' && cover && this.lambdaReal > 0 ? 'both' : 'flat');
    this.variants = mode === 'both' ? ['flat', 'gap'] : [mode];
    if (this.variants.includes('gap') && !(this.lambdaReal > 0)) {
      throw new TraceError('gap-weighted π needs λ_real: pass lambdaReal or put params.rates.real in the header');
    }
    this.seed = opts.seed ?? 1;
    this.primaryIndex = opts.pi === 'gap' ? this.variants.indexOf('gap') : 0;
    const sample = opts.sample ?? 1;
    this.fwdSample = opts.forwardSample ?? sample;
    this.sndSample = opts.senderSample ?? sample;
    const w = windows(meta, opts.warmup, opts.drain);
    this.warmupNs = w.warmupNs;
    this.drainNs = w.drainNs;
    this.tStartNs = toNs(meta.t_start ?? 0);
    const timing = opts.timing ?? false;
    const accs = (normalise: boolean, seed: number): Accs => ({
      fwd: new ForwardAcc(normalise),
      snd: this.variants.map((_, i) => new SenderAcc(seed + 10 * i)),
    });
    this.exact = accs(false, this.seed * 100);
    this.timing = timing ? accs(true, this.seed * 100 + 50) : null;
    this.delays = new DelayStats(opts.ksSample ?? 20000, this.seed + 7);
    this.activity = new Activity(this.C, this.warmupNs + 30e9);
    this.lastEmit = new Float64Array(this.C).fill(NaN);
    const hopOf = (m: number) => meta.layers.length * (m + meta.proc);
    this.epochs = new EpochAccs(
      meta,
      {
        warmupNs: (m) => (opts.warmup !== undefined ? this.warmupNs : toNs(0.5 + 10 * hopOf(m))),
        drainNs: (m) => (opts.drain !== undefined ? this.drainNs : toNs(0.5 + 20 * hopOf(m))),
        settle: opts.settle ?? 0.5,
      },
      this.seed,
    );
    const hooks: EngineHooks = {
      emit: (l, client, wire, truth) => {
        truth.sender = client;
        truth.kind = l.gk;
        truth.dest = l.gd;
        truth.emitNs = l.tx;
        // π_i (§2.3): flat, and 1 − exp(−λ_real·gap_i) with gap_i since the client's previous emission
        const prev = this.lastEmit[client] as number;
        const gap = (l.tx - (Number.isNaN(prev) ? this.tStartNs : prev)) / 1e9;
        this.lastEmit[client] = l.tx;
        this.activity.record(client, l.tx);
        this.epochs.emitted(l.tx);
        const v = this.engine.vecs.zero();
        this.variants.forEach((kind, i) => {
          v[i * this.C + client] = kind === 'flat' ? 1 : 1 - Math.exp(-this.lambdaReal * Math.max(0, gap));
        });
        wire.vec = v;
        if (this.timing) {
          const tv = this.engine.vecs.get();
          tv.set(v);
          wire.tvec = tv;
        }
        // With epochs each has its own warm-up (epochs.ts): targets are kept, and the whole run's figures skip them.
        if (l.gk !== KIND_REAL || (!this.epochs.enabled && l.tx - this.tStartNs < this.warmupNs)) return;
        // §3 targets: forward = real, emitted in [T_w, T_end − T_d], sampled; sender = real after T_w
        const tEnd = this.meta.t_end;
        // With epochs each has its own drain (result() applies both): every target is kept here.
        const inWindow = this.epochs.enabled || tEnd === undefined || l.tx <= toNs(tEnd) - this.drainNs;
        if (inWindow && (this.fwdSample >= 1 || hashUnit(l.hx, this.seed) < this.fwdSample)) {
          const id = this.emitNs.length;
          this.emitNs.push(l.tx);
          this.emitEpoch.push(this.epochs.indexOf(l.tx));
          this.exact.fwd.ensure(id + 1);
          this.timing?.fwd.ensure(id + 1);
          truth.fwdTarget = id;
          wire.fwd = new Map([[id, 1]]);
          if (this.timing) wire.tfwd = new Map([[id, 1]]);
        }
        truth.sndTarget = this.sndSample >= 1 || hashUnit(l.hx, this.seed + 1) < this.sndSample;
      },
      exit: (fwd, tfwd, truth) => {
        this.exact.fwd.exit(fwd, truth.fwdTarget);
        this.timing?.fwd.exit(tfwd, truth.fwdTarget);
      },
      deliver: (v, tv, truth, recipient, at) => {
        if (truth.kind !== KIND_REAL) return;
        this.epochs.delivered(truth.emitNs, at);
        if (!truth.sndTarget) return;
        const active = this.activity.active(at - this.warmupNs, at, recipient);
        this.epochs.sender(truth.emitNs)?.add(v, this.primaryIndex * this.C, this.C, recipient, truth.sender, active);
        if (truth.emitNs - this.tStartNs < this.warmupNs) return;
        this.sndTargets++;
        this.variants.forEach((_, i) => {
          (this.exact.snd[i] as SenderAcc).add(v, i * this.C, this.C, recipient, truth.sender, active);
          if (this.timing && tv)
            (this.timing.snd[i] as SenderAcc).add(tv, i * this.C, this.C, recipient, truth.sender, active);
        });
      },
      mixDelay: (ns, at) => {
        this.delays.add(ns);
        this.epochs.mixDelay(ns, at);
      },
    };
    this.engine = new Engine(
      topo,
      meta,
      {
        dim: this.C * this.variants.length,
        timing,
        watermarkNs: toNs(opts.watermark ?? params.watermark ?? 0.01),
        gatewayWindowNs: toNs(opts.gatewayWindow ?? params.gateway_window ?? 0),
        gatewayMeanNs: toNs(opts.gatewayDelay ?? params.gateway_delay ?? 0),
        ...(typeof params.gateway_proc_in === 'number' ? { gatewayProcInNs: toNs(params.gateway_proc_in) } : {}),
        ...(typeof params.gateway_proc_out === 'number' ? { gatewayProcOutNs: toNs(params.gateway_proc_out) } : {}),
      },
      hooks,
    );
  }

  private byPi(accs: Accs): SenderByPi {
    const out: SenderByPi = {};
    this.variants.forEach((kind, i) => {
      out[kind] = (accs.snd[i] as SenderAcc).summary();
    });
    return out;
  }

  result(maxTime: number): AnalyzeResult {
    this.engine.finish();
    const meta = this.meta;
    const tEndNs = meta.t_end !== undefined ? toNs(meta.t_end) : maxTime;
    const include = (t: number) =>
      (this.emitNs[t] as number) <= tEndNs - this.drainNs &&
      (this.emitNs[t] as number) - this.tStartNs >= this.warmupNs;
    const count = this.emitNs.length;
    const forward = this.exact.fwd.summary(count, include, this.seed + 11);
    const senderByPi = this.byPi(this.exact);
    const primaryPi = this.opts.pi === 'gap' ? 'gap' : (this.variants[0] as 'flat' | 'gap');
    const sender = senderByPi[primaryPi] as SenderSummary;
    const topo = this.engine.topo;
    const result: AnalyzeResult = {
      hOut: forward.hOut,
      hSnd: sender.hSnd,
      degree: sender.degree,
      epsilon: sender.epsilon,
      delta: sender.delta,
      senders: this.lastEmit.reduce((n, t) => n + (Number.isNaN(t) ? 0 : 1), 0),
      calibration: { out: forward.calibration, snd: sender.calibration },
      primaryPi,
      forward,
      sender,
      senderByPi,
      delays: this.delays.result(meta.proc, meta.mean_delay, this.opts.alpha ?? 0.01),
      network: {
        clients: this.C,
        gateways: meta.gateways.length,
        layers: topo.depth,
        width: topo.width,
        meanDelay: meta.mean_delay,
        proc: meta.proc,
        tStart: meta.t_start ?? 0,
        tEnd: tEndNs / 1e9,
        scheme: meta.params?.scheme ?? null,
      },
      windows: { warmup: this.warmupNs / 1e9, drain: this.drainNs / 1e9 },
      targets: { forward: forward.hOut.n, sender: this.sndTargets },
      counts: { ...this.engine.counters, maxTime: maxTime / 1e9 },
    };
    if (this.epochs.enabled) {
      result.epochs = this.epochs.results(
        (i) =>
          this.exact.fwd.summary(
            count,
            (t) => this.emitEpoch[t] === i && this.epochs.counts(i, this.emitNs[t] as number, tEndNs),
            this.seed + 13 + i,
          ).hOut,
      );
    }
    if (this.timing) {
      result.timing = {
        forward: this.timing.fwd.summary(count, include, this.seed + 12),
        sender: this.byPi(this.timing),
      };
    }
    return result;
  }
}
