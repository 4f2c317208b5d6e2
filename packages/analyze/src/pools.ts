/**
 * Per-node label-mass pools. A label vector has a dense part (sender labels, §2.3) and a sparse part
 * (forward target labels, §2.2). Inserting a vector hands its dense array over to the pool.
 *
 * - ExactPool: the exact posterior for exponential delays, pool averaging (§2.1) with the lazy scale
 *   factor of §5: true mass = scale·raw; departure `v = raw·(scale/n)`, `scale ← scale·(n−1)/n`.
 * - TimingPool: Danezis' timing estimator (§2.4), exponentially decayed sums S/Z.
 * - RelayPool: a node that does not mix (gateways, mean delay 0): see its comment.
 */

/** A sparse vector of forward-target masses: target id → mass. */
export type Sparse = Map<number, number>;

/** Forward masses below this are pruned from a pool (§5: keeps a target alive for about 23·m). */
export const PRUNE = 1e-10;

/** Recycles dense vectors of one length, so a hop costs no allocation. */
export class VecPool {
  private readonly free: Float64Array[] = [];
  constructor(readonly dim: number) {}
  /** A vector with unspecified contents. */
  get(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.dim);
  }
  zero(): Float64Array {
    const v = this.get();
    v.fill(0);
    return v;
  }
  put(v: Float64Array): void {
    if (this.free.length < 4096) this.free.push(v);
  }
}

/** What every pool offers the engine. `depart` requires `size > 0`. */
export interface LabelPool {
  readonly size: number;
  insert(v: Float64Array | null, f: Sparse | null, eligibleNs: number): void;
  /** Writes the departing packet's dense vector into `out`, returns its sparse part. */
  depart(out: Float64Array, atNs: number): Sparse | null;
}

/** Exact pool averaging (§2.1) with the lazy scale of §5. */
export class ExactPool implements LabelPool {
  private readonly raw: Float64Array;
  private scale = 1;
  private n = 0;
  private readonly fwd: Sparse = new Map();

  constructor(private readonly vecs: VecPool) {
    this.raw = new Float64Array(vecs.dim);
  }

  get size(): number {
    return this.n;
  }

  // arrival: M ← M + v, n ← n+1 (§2.1); stored as raw += v/scale (§5)
  insert(v: Float64Array | null, f: Sparse | null): void {
    const inv = 1 / this.scale;
    if (v) {
      const raw = this.raw;
      for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) + (v[i] as number) * inv;
      this.vecs.put(v);
    }
    if (f) for (const [k, x] of f) this.fwd.set(k, (this.fwd.get(k) ?? 0) + x * inv);
    this.n++;
  }

  // departure: v_out = M/n, then M ← M·(n−1)/n, n ← n−1 (§2.1)
  depart(out: Float64Array): Sparse | null {
    const n = this.n;
    const f = this.scale / n;
    const raw = this.raw;
    for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) * f;
    let sparse: Sparse | null = null;
    const keep = (this.scale * (n - 1)) / n;
    if (this.fwd.size > 0) {
      sparse = new Map();
      for (const [k, x] of this.fwd) {
        sparse.set(k, x * f);
        if (x * keep < PRUNE) this.fwd.delete(k);
      }
    }
    this.n = n - 1;
    if (this.n === 0) {
      // empty pool: reset (§5)
      raw.fill(0);
      this.fwd.clear();
      this.scale = 1;
    } else {
      this.scale = keep;
      if (this.scale < 1e-150) {
        for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) * this.scale;
        for (const [k, x] of this.fwd) this.fwd.set(k, x * this.scale);
        this.scale = 1;
      }
    }
    return sparse;
  }
}

/**
 * Timing-likelihood estimator (§2.4): each output at β weights every earlier eligible arrival by
 * exp(−(β − a_i − c)/m), packets already gone included. With sums kept relative to a reference time t0,
 * `S/Z = rawS/rawZ`, so a departure needs no decay step; t0 moves forward before exp() overflows.
 */
export class TimingPool implements LabelPool {
  private readonly raw: Float64Array;
  private z = 0;
  private t0 = 0;
  private count = 0;
  private readonly fwd: Sparse = new Map();

  constructor(
    private readonly vecs: VecPool,
    private readonly meanNs: number,
  ) {
    this.raw = new Float64Array(vecs.dim);
  }

  get size(): number {
    return this.count;
  }

  private rebase(t: number): void {
    const k = Math.exp(-(t - this.t0) / this.meanNs);
    const raw = this.raw;
    for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) * k;
    for (const [key, x] of this.fwd) {
      const y = x * k;
      if (y === 0) this.fwd.delete(key);
      else this.fwd.set(key, y);
    }
    this.z *= k;
    this.t0 = t;
  }

  // S ← S·e^{−Δt/m} + v, Z ← Z·e^{−Δt/m} + 1 (§2.4), in t0-relative form
  insert(v: Float64Array | null, f: Sparse | null, eligibleNs: number): void {
    if (this.count === 0) this.t0 = eligibleNs;
    else if ((eligibleNs - this.t0) / this.meanNs > 500) this.rebase(eligibleNs);
    const w = Math.exp((eligibleNs - this.t0) / this.meanNs);
    if (v) {
      const raw = this.raw;
      for (let i = 0; i < raw.length; i++) raw[i] = (raw[i] as number) + (v[i] as number) * w;
      this.vecs.put(v);
    }
    if (f) for (const [k, x] of f) this.fwd.set(k, (this.fwd.get(k) ?? 0) + x * w);
    this.z += w;
    this.count++;
  }

  // v_out = S/Z (§2.4)
  depart(out: Float64Array): Sparse | null {
    if (!(this.z > 0)) {
      out.fill(0);
      return null;
    }
    const inv = 1 / this.z;
    const raw = this.raw;
    for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) * inv;
    if (this.fwd.size === 0) return null;
    const sparse: Sparse = new Map();
    for (const [k, x] of this.fwd) {
      const p = x * inv;
      if (p < PRUNE) this.fwd.delete(k);
      else sparse.set(k, p);
    }
    return sparse;
  }
}

interface Group {
  t: number;
  n: number;
  sum: Float64Array;
  f: Sparse | null;
}

/**
 * A relay that forwards after a fixed processing time c and may drop packets (a gateway: drop cover
 * vanishes there, §2.5). The m → 0 limit of §2.1 with drops: a departure at d is the arrival whose
 * eligible time is the latest one ≤ d; arrivals within `window` ns of that one are equally likely (a pool).
 * Older eligible arrivals that are still held are taken as dropped. If nothing is eligible (processing
 * shorter than c), the earliest held arrival is used and counted as infeasible.
 */
export class RelayPool implements LabelPool {
  private readonly groups: Group[] = [];
  private held = 0;
  dropped = 0;
  infeasible = 0;

  constructor(
    private readonly vecs: VecPool,
    private readonly windowNs: number,
  ) {}

  get size(): number {
    return this.held;
  }

  insert(v: Float64Array | null, f: Sparse | null, eligibleNs: number): void {
    const gs = this.groups;
    let i = gs.length;
    while (i > 0 && (gs[i - 1] as Group).t > eligibleNs) i--;
    const same = i > 0 ? (gs[i - 1] as Group) : null;
    if (same && same.t === eligibleNs) {
      if (v) {
        for (let k = 0; k < v.length; k++) same.sum[k] = (same.sum[k] as number) + (v[k] as number);
        this.vecs.put(v);
      }
      if (f) {
        same.f ??= new Map();
        for (const [k, x] of f) same.f.set(k, (same.f.get(k) ?? 0) + x);
      }
      same.n++;
    } else {
      gs.splice(i, 0, { t: eligibleNs, n: 1, sum: v ?? this.vecs.zero(), f: f ? new Map(f) : null });
    }
    this.held++;
  }

  depart(out: Float64Array, atNs: number): Sparse | null {
    const gs = this.groups;
    let j = gs.length - 1;
    while (j >= 0 && (gs[j] as Group).t > atNs) j--;
    if (j < 0) {
      j = 0;
      this.infeasible++;
    }
    const latest = (gs[j] as Group).t;
    let lo = j;
    while (lo > 0 && (gs[lo - 1] as Group).t >= latest - this.windowNs) lo--;
    // merge the window into one group (a small pool)
    const g = gs[j] as Group;
    for (let i = lo; i < j; i++) {
      const h = gs[i] as Group;
      for (let k = 0; k < g.sum.length; k++) g.sum[k] = (g.sum[k] as number) + (h.sum[k] as number);
      if (h.f) {
        g.f ??= new Map();
        for (const [k, x] of h.f) g.f.set(k, (g.f.get(k) ?? 0) + x);
      }
      g.n += h.n;
      this.vecs.put(h.sum);
    }
    for (let i = 0; i < lo; i++) {
      const h = gs[i] as Group;
      this.dropped += h.n;
      this.held -= h.n;
      this.vecs.put(h.sum);
    }
    gs.splice(0, j);
    const n = g.n;
    const inv = 1 / n;
    const keep = (n - 1) / n;
    for (let k = 0; k < g.sum.length; k++) {
      const x = g.sum[k] as number;
      out[k] = x * inv;
      g.sum[k] = x * keep;
    }
    let sparse: Sparse | null = null;
    if (g.f && g.f.size > 0) {
      sparse = new Map();
      for (const [k, x] of g.f) {
        sparse.set(k, x * inv);
        if (x * keep < PRUNE) g.f.delete(k);
        else g.f.set(k, x * keep);
      }
    }
    g.n--;
    this.held--;
    if (g.n === 0) {
      this.vecs.put(g.sum);
      gs.shift();
    }
    return sparse;
  }
}
