/**
 * What a heal timeline says, per fault: how many epochs the directory took to drop the dead nodes,
 * the latency medians before and after, and messages lost or delivered twice.
 *
 * The latency rule (issue 13: "back within 20% of its pre-fault median"): the median one-way
 * latency of the `post` phase, the N messages sent once both clients route from the healed
 * document, is at most 1.2 × the median of the N messages sent just before the kill (`pre`). The
 * clients' per-hop delay μ makes the Exp mixing delays dominate latency (a sum of ≥ 4 of them has a
 * coefficient of variation ≤ 0.5), so with N = 200 each median's standard error is ≤ 4.5% and the
 * two differ by 20% by chance in under one run in a thousand. Medians ignore the few retransmitted
 * outliers, and CPU noise of a busy 2-core machine falls on both phases alike.
 */
import type { FaultRecord, HealFault, HealTimeline } from './heal.js';
import { latencies, median } from './heal-traffic.js';

export const LATENCY_TOLERANCE = 1.2;

export interface FaultSummary {
  kind: HealFault;
  targets: string[];
  /** The healed document's epoch minus the epoch at the kill (mixes, gateway). */
  epochsToHeal?: number;
  preMedianMs: number;
  faultMedianMs: number;
  postMedianMs: number;
  /** post ÷ pre. */
  ratio: number;
  /** Messages sent in this fault's three phases. */
  messages: number;
  lost: number;
  duplicated: number;
  /** Sends that failed (not acknowledged after every attempt). */
  failed: number;
  record: FaultRecord;
}

export interface HealSummary {
  faults: FaultSummary[];
  messages: number;
  lost: number;
  duplicated: number;
  failed: number;
}

export function healSummary(t: HealTimeline): HealSummary {
  const faults = t.faults.map((record): FaultSummary => {
    const mine = t.messages.filter((m) => m.phase.startsWith(`${record.kind}:`));
    const pre = median(latencies(t.messages, `${record.kind}:pre`));
    const post = median(latencies(t.messages, `${record.kind}:post`));
    return {
      kind: record.kind,
      targets: record.targets,
      ...(record.healedEpoch !== undefined ? { epochsToHeal: record.healedEpoch - record.killEpoch } : {}),
      preMedianMs: pre,
      faultMedianMs: median(latencies(t.messages, `${record.kind}:fault`)),
      postMedianMs: post,
      ratio: post / pre,
      messages: mine.length,
      lost: mine.filter((m) => m.deliveries === 0).length,
      duplicated: mine.filter((m) => m.deliveries > 1).length,
      failed: mine.filter((m) => m.error !== undefined).length,
      record,
    };
  });
  return {
    faults,
    messages: t.messages.length,
    lost: t.messages.filter((m) => m.deliveries === 0).length,
    duplicated: t.messages.filter((m) => m.deliveries > 1).length,
    failed: t.messages.filter((m) => m.error !== undefined).length,
  };
}
