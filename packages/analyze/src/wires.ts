/**
 * Per-link records of the streaming engine (§5): a wire id joins one node's departure (hx) to the next
 * node's arrival (hi). A record lives from the first of the two lines to be read until both are seen and
 * the arrival has joined its pool, so live records are bounded by packets in flight or in pools.
 */
import type { Sparse } from './pools.js';

/** Ground truth of one packet, fixed at emission (analysis only, never used by the posterior). */
export interface Truth {
  sender: number;
  kind: number;
  dest: string;
  emitNs: number;
  /** Forward target id or -1. */
  fwdTarget: number;
  /** Whether a delivery of this packet is a sender target. */
  sndTarget: boolean;
}

/** Truth of a packet whose origin is not in the trace. */
export const UNKNOWN_TRUTH: Truth = { sender: -1, kind: -1, dest: '', emitNs: NaN, fwdTarget: -1, sndTarget: false };

/** One link traversal, keyed by wire id: upstream departure → downstream arrival. */
export class Wire<N = unknown> {
  to: N | null = null;
  txA = NaN;
  ti = NaN;
  /** Earliest (or exact) eligible time at `to`, ns; the candidate heap key. */
  key = 0;
  keyHi = 0;
  ready = false;
  inserted = false;
  vec: Float64Array | null = null;
  fwd: Sparse | null = null;
  tvec: Float64Array | null = null;
  tfwd: Sparse | null = null;
  truth: Truth | null = null;
  constructor(readonly id: string) {}
}
