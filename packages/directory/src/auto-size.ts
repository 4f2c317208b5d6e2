/**
 * Auto-sizing of the active set (docs/directory.md §7), pure: from the packet rate measured into
 * each layer, the width per layer and the mean per-hop delay μ that keep the predicted exit entropy
 * at or above a target with the least added latency (L·μ).
 *
 *   per-mix rate    λ = Λ / w, with Λ = min over layers of the packets/s entering the layer
 *   predicted bits  H(w, μ) = max(0, log2(e · λ · μ))        (ANONYMITY.md §0 Danezis, §4 single mix)
 *   needed μ        μ_w = w · 2^T / (e · Λ)                   (solves H = T)
 *
 * H is the last layer's single-mix entropy: a lower bound on the exit entropy, since not knowing
 * which packet entered that mix only adds uncertainty (H(O) ≥ H(O | I)). μ_w grows with w, so the
 * least μ is at the least width; widths whose μ_w is under the floor all give μ = minMs (a tie),
 * and the widest of them wins (throughput).
 */

export interface AutoSizeInput {
  /** Packets per second entering each layer (real + cover), summed over its mixes. */
  rates: readonly number[];
  /** The anonymity target T, in bits. */
  target: number;
  layers: number;
  /** Eligible mixes, all layers together: the width is at most ⌊available / layers⌋. */
  available: number;
  minWidth: number;
  maxWidth: number;
  muBounds: { minMs: number; maxMs: number };
}

export type AutoSizeReason =
  /** Enough traffic: μ at its floor, the widest width that still holds the target there. */
  | 'floor'
  /** μ above its floor, at the least width: the least latency that holds the target. */
  | 'target'
  /** The target cannot be held even at maxMs and the least width: μ = maxMs, and it says so. */
  | 'infeasible';

export interface AutoSizePlan {
  width: number;
  muMs: number;
  /** H(width, muMs) for the measured rate (conservative: the last layer alone). */
  predictedBits: number;
  reason: AutoSizeReason;
  /** Λ the plan used (packets/s, the least loaded layer). */
  rate: number;
}

export class AutoSizeError extends RangeError {
  constructor(field: string, what: string) {
    super(`planActiveSet: ${field} ${what}`);
    this.name = 'AutoSizeError';
  }
}

/** μ is published in steps of 0.1 ms, rounded up so the prediction stays at or above the target. */
const STEP_MS = 0.1;
const ceilStep = (ms: number) => Math.ceil(ms / STEP_MS - 1e-9) / (1 / STEP_MS);
const round = (ms: number) => Math.round(ms / STEP_MS) / (1 / STEP_MS);

/** H = max(0, log2(e · λ · μ)) for λ in packets/s and μ in ms. */
export function predictedEntropy(perMixRate: number, muMs: number): number {
  const x = Math.E * perMixRate * (muMs / 1000);
  return x > 1 ? Math.log2(x) : 0;
}

function check(i: AutoSizeInput): void {
  const finite = (f: string, v: number, min: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
      throw new AutoSizeError(f, `must be a number ≥ ${min}`);
  };
  const int = (f: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new AutoSizeError(f, `must be an integer ≥ ${min}`);
  };
  int('layers', i.layers, 1);
  if (i.rates.length !== i.layers) throw new AutoSizeError('rates', `must have one entry per layer (${i.layers})`);
  i.rates.forEach((r, l) => {
    finite(`rates[${l}]`, r, 0);
  });
  finite('target', i.target, 0);
  if (i.target === 0) throw new AutoSizeError('target', 'must be above 0 bits');
  int('available', i.available, 0);
  int('minWidth', i.minWidth, 1);
  int('maxWidth', i.maxWidth, i.minWidth);
  finite('muBounds.minMs', i.muBounds.minMs, 0);
  finite('muBounds.maxMs', i.muBounds.maxMs, Math.max(i.muBounds.minMs, STEP_MS));
}

export function planActiveSet(input: AutoSizeInput): AutoSizePlan {
  check(input);
  const { minMs, maxMs } = input.muBounds;
  const rate = Math.min(...input.rates);
  // Fewer eligible mixes than minWidth per layer: the layers get what there is (selection.ts).
  const maxW = Math.max(1, Math.min(input.maxWidth, Math.floor(input.available / input.layers)));
  const minW = Math.min(input.minWidth, maxW);
  const needed = (w: number) => (rate > 0 ? (w * 2 ** input.target * 1000) / (Math.E * rate) : Infinity);
  const plan = (width: number, muMs: number, reason: AutoSizeReason): AutoSizePlan => ({
    width,
    muMs,
    predictedBits: predictedEntropy(rate / width, muMs),
    reason,
    rate,
  });

  const floor = Math.max(ceilStep(minMs), minMs);
  if (needed(minW) <= floor) {
    // Every width up to this one holds the target at the floor: the widest wins the tie.
    const widest = Math.min(maxW, Math.floor((floor * Math.E * rate) / (2 ** input.target * 1000)));
    return plan(Math.max(minW, widest), round(floor), 'floor');
  }
  // Rounded up to the step, but never past maxMs (a target reachable just under it stays reachable).
  if (needed(minW) <= maxMs) return plan(minW, Math.min(round(ceilStep(needed(minW))), maxMs), 'target');
  return plan(minW, maxMs, 'infeasible');
}
