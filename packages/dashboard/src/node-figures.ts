/**
 * What the dashboard shows of one relay, read from its /metrics (packages/node/src/metrics.ts), and
 * per-second rates between two scrapes.
 */
import { byLabel, type Sample, sumOf } from './prometheus.js';

/** Cumulative counters and gauges of a relay at one scrape. */
export interface NodeCounters {
  /** Packets in: Sphinx packets over TCP plus packets from clients (gateways). */
  packetsIn: number;
  /** Packets out: forwarded to the next hop, delivered or mailboxed for a client. */
  packetsOut: number;
  /** Drops by reason (DropReason). */
  drops: Record<string, number>;
  /** Packets held: the delay scheduler plus the link queues. */
  queue: number;
}

export function nodeCounters(samples: readonly Sample[]): NodeCounters {
  const drops = byLabel(samples, 'mixnet_packets_dropped_total', 'reason');
  return {
    packetsIn: sumOf(samples, 'mixnet_packets_received_total') + sumOf(samples, 'mixnet_client_packets_total'),
    packetsOut:
      sumOf(samples, 'mixnet_packets_forwarded_total') +
      sumOf(samples, 'mixnet_packets_delivered_total') +
      sumOf(samples, 'mixnet_packets_mailboxed_total'),
    drops,
    queue: sumOf(samples, 'mixnet_scheduler_depth') + sumOf(samples, 'mixnet_link_queue'),
  };
}

export interface Scrape {
  /** ms since the Unix epoch. */
  at: number;
  counters: NodeCounters;
}

export interface NodeRates {
  inPerSec: number;
  outPerSec: number;
  dropsPerSec: number;
}

/**
 * The increase of a counter per second. A counter that went down was reset (the node restarted):
 * what it holds now counts as the increase, as Prometheus's rate() does.
 */
export function counterRate(prev: number, cur: number, seconds: number): number {
  if (!(seconds > 0)) return 0;
  const delta = cur >= prev ? cur - prev : cur;
  return delta / seconds;
}

export function nodeRates(prev: Scrape | undefined, cur: Scrape): NodeRates {
  if (!prev) return { inPerSec: 0, outPerSec: 0, dropsPerSec: 0 };
  const s = (cur.at - prev.at) / 1000;
  const dropsNow = Object.values(cur.counters.drops).reduce((a, b) => a + b, 0);
  const dropsBefore = Object.values(prev.counters.drops).reduce((a, b) => a + b, 0);
  return {
    inPerSec: counterRate(prev.counters.packetsIn, cur.counters.packetsIn, s),
    outPerSec: counterRate(prev.counters.packetsOut, cur.counters.packetsOut, s),
    dropsPerSec: counterRate(dropsBefore, dropsNow, s),
  };
}
