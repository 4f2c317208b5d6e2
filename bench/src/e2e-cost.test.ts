/** The e2e suite's CPU breakdown (issue 16 #4): categories add up to what was measured. */
import { describe, expect, it } from 'vitest';
import { type CostInput, costBreakdown, measureUnitCosts } from './e2e-cost.js';

const input: CostInput = {
  hops: 4,
  unit: { createMs: 0.2, processMs: 0.05, surbMs: 0.18, fromSurbMs: 0.01 },
  delivered: 1000,
  seconds: 2,
  packets: { data: 1100, acks: 1100 },
  // CPU seconds in the burst.
  burst: { clients: 0.6, relayMain: 0.5, relayThreads: 0.55, others: 0.1 },
  // CPU seconds per second idle: 0.1 s of the 2 s burst is the relays' main threads idling.
  idleRate: { clients: 0, relayMain: 0.05, relayThreads: 0, others: 0.04 },
};

describe('cost breakdown', () => {
  it('splits the measured total: Sphinx by the packets counted, the rest by where it ran', () => {
    const b = costBreakdown(input);
    const measured = ((0.6 + 0.5 + 0.55 + 0.1) * 1000) / 1000;
    expect(b.total).toBeCloseTo(measured, 9);
    expect(b.reference).toBeCloseTo(0.2 + 4 * 0.05, 9);
    expect(b.ack).toBeCloseTo(0.18 + 0.01 + 4 * 0.05, 9);
    // 100 extra data packets (create + SURB + hops) and 100 extra acks (packet from SURB + hops).
    expect(b.retransmissions).toBeCloseTo((100 * 0.58 + 100 * 0.21) / 1000, 9);
    expect(b.background).toBeCloseTo(((0.1 + 0.08) * 1000) / 1000, 9);
    // Clients: 0.6 s − 1100 × (0.2 + 0.18) − 1100 × 0.01 ms of Sphinx.
    expect(b.clientRest).toBeCloseTo(0.6 - 1.1 * 0.39, 9);
    // Relays: 1.05 s, 0.1 s of it idling, and 2200 × 4 × 0.05 ms = 0.44 s of Sphinx.
    expect(b.relayRest).toBeCloseTo(0.5 + 0.55 - 0.1 - 0.44, 9);
    expect(b.others).toBeCloseTo(0.1 - 0.08, 9);
  });

  it('times the Sphinx steps', () => {
    const u = measureUnitCosts(2, 3);
    for (const v of Object.values(u)) expect(v).toBeGreaterThan(0);
  });
});
