import { describe, expect, it } from 'vitest';
import { counterRate, nodeCounters, nodeRates } from './node-figures.js';
import { parsePrometheus } from './prometheus.js';

const scrape = (received: number, forwarded: number, drops: Record<string, number>, depth = 0) =>
  parsePrometheus(
    [
      `mixnet_packets_received_total{role="gateway",id="g"} ${received}`,
      `mixnet_client_packets_total{role="gateway",id="g"} 10`,
      `mixnet_packets_forwarded_total{role="gateway",id="g"} ${forwarded}`,
      `mixnet_packets_delivered_total{role="gateway",id="g"} 5`,
      `mixnet_packets_mailboxed_total{role="gateway",id="g"} 1`,
      ...Object.entries(drops).map(([r, v]) => `mixnet_packets_dropped_total{reason="${r}"} ${v}`),
      `mixnet_scheduler_depth ${depth}`,
      `mixnet_link_queue 2`,
    ].join('\n'),
  ).samples;

describe('node figures', () => {
  it('adds client packets to packets in, and deliveries and mailboxed ones to packets out', () => {
    expect(nodeCounters(scrape(100, 80, { replay: 2 }, 3))).toEqual({
      packetsIn: 110,
      packetsOut: 86,
      drops: { replay: 2 },
      queue: 5,
    });
  });

  it('turns two scrapes into per-second rates', () => {
    const a = { at: 1_000, counters: nodeCounters(scrape(100, 80, { replay: 2 })) };
    const b = { at: 3_000, counters: nodeCounters(scrape(300, 180, { replay: 4, bad_mac: 6 })) };
    expect(nodeRates(a, b)).toEqual({ inPerSec: 100, outPerSec: 50, dropsPerSec: 4 });
    expect(nodeRates(undefined, b)).toEqual({ inPerSec: 0, outPerSec: 0, dropsPerSec: 0 });
  });

  it('counts a reset counter (a restarted node) from zero, never as a negative rate', () => {
    expect(counterRate(1_000, 40, 2)).toBe(20);
    expect(counterRate(10, 30, 2)).toBe(10);
    expect(counterRate(10, 30, 0)).toBe(0);
  });
});
