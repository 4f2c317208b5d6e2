/**
 * When a relay processes Sphinx packets on its main thread instead of posting them to a worker
 * (issue 16 #4). A worker round trip costs two thread wake-ups, a batch encode and decode and a
 * transfer; with one or two packets a tick (a lightly loaded relay, most of the time) that was more
 * CPU than the packet's own processing. So a tick's batch of at most `maxBatch` packets is
 * processed inline while inline work stays under `share` of the main thread, measured over
 * `windowMs`; past either limit packets go to the workers, as under load they always do.
 */
import { performance } from 'node:perf_hooks';

export interface InlineBudgetOptions {
  /** Fraction of the main thread inline processing may take (0 = never inline). Default 0 (off). */
  share?: number;
  /** Largest tick batch processed inline. Default 4. */
  maxBatch?: number;
  /** Length of the accounting window, ms. Default 100. */
  windowMs?: number;
  now?: () => number;
}

export interface InlineBudget {
  /** Whether a batch of `packets` may be processed inline now. */
  allows(packets: number): boolean;
  /** Inline work just done, in ms. */
  spent(ms: number): void;
}

// Off by default: with it on (0.25), the live anonymity test's cover-on delays fitted c + Exp(μ)
// worse (KS p 0.001–0.002 in two runs on the merged tree) and its gain was within noise. Opt in
// with the processor's `inlineShare`.
export const DEFAULT_INLINE_SHARE = 0;
export const DEFAULT_INLINE_MAX_BATCH = 4;

export function createInlineBudget(opts: InlineBudgetOptions = {}): InlineBudget {
  const share = opts.share ?? DEFAULT_INLINE_SHARE;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`inline share must be within [0, 1], got ${share}`);
  const maxBatch = opts.maxBatch ?? DEFAULT_INLINE_MAX_BATCH;
  const windowMs = opts.windowMs ?? 100;
  const now = opts.now ?? (() => performance.now());
  const allowance = share * windowMs;
  let windowStart = Number.NEGATIVE_INFINITY;
  let used = 0;
  const roll = () => {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      used = 0;
    }
  };
  return {
    allows(packets) {
      if (share === 0 || packets > maxBatch) return false;
      roll();
      return used < allowance;
    },
    spent(ms) {
      roll();
      used += ms;
    },
  };
}
