/** Latency figures of the probe's deliveries: a histogram and p50/p95 over a recent window. */
import { quantile } from '@mixnet/analyze';

export interface LatencySample {
  /** When it arrived, ms since the Unix epoch. */
  at: number;
  /** One-way latency, ms. */
  ms: number;
}

export interface LatencyFigures {
  /** Samples in the window. */
  n: number;
  p50: number | null;
  p95: number | null;
  /** Bucket upper edges in ms (the last is +Infinity, sent as null in JSON) and counts. */
  histogram: { edges: number[]; counts: number[] };
}

/** Bucket edges for a mixnet's latencies: a few hops of Exp(μ) plus processing, tens to hundreds of ms. */
export const LATENCY_EDGES = [25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000];

export function latencyFigures(
  samples: readonly LatencySample[],
  now: number,
  windowMs: number,
  edges: readonly number[] = LATENCY_EDGES,
): LatencyFigures {
  const inWindow = samples.filter((s) => s.at > now - windowMs && s.at <= now).map((s) => s.ms);
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const ms of inWindow) {
    const i = edges.findIndex((e) => ms <= e);
    counts[i < 0 ? edges.length : i] = (counts[i < 0 ? edges.length : i] as number) + 1;
  }
  return {
    n: inWindow.length,
    p50: inWindow.length ? quantile(inWindow, 0.5) : null,
    p95: inWindow.length ? quantile(inWindow, 0.95) : null,
    histogram: { edges: [...edges], counts },
  };
}
