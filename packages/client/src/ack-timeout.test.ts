import { describe, expect, it } from 'vitest';
import { createAckTimeout } from './ack-timeout.js';

describe('adaptive ack timeout', () => {
  it('is the floor before any ack was measured', () => {
    expect(createAckTimeout().timeoutMs(1_660, 1_500)).toBe(1_660);
  });

  it('never goes below the floor (Nym’s rule), however fast the acks', () => {
    const t = createAckTimeout();
    for (let i = 0; i < 50; i++) t.sample(10);
    expect(t.srttMs).toBeCloseTo(10);
    expect(t.timeoutMs(1_660, 1_500)).toBe(1_660);
  });

  it('applies Nym’s rule to the measured RTT when it exceeds the modelled one', () => {
    const t = createAckTimeout();
    for (let i = 0; i < 50; i++) t.sample(800);
    // Modelled RTT 106 ms: 106 × 1.5 + 1500 = 1659; measured 800 ms: 800 × 1.5 + 1500 = 2700.
    expect(t.timeoutMs(1_659, 1_500)).toBeCloseTo(2_700, 0);
  });

  it('follows widely spread acks: smoothed RTT + 4 × deviation', () => {
    const t = createAckTimeout();
    for (let i = 0; i < 50; i++) t.sample(i % 2 === 0 ? 2_000 : 3_000);
    const rto = t.timeoutMs(1_000, 0);
    expect(t.srttMs).toBeGreaterThan(2_300);
    expect(t.srttMs).toBeLessThan(2_700);
    // The deviation keeps it above the slowest acks seen.
    expect(rto).toBeGreaterThan(3_000);
    expect(rto).toBeLessThanOrEqual(4_000);
  });

  it('is capped at maxFactor × the floor', () => {
    const t = createAckTimeout({ maxFactor: 3 });
    t.sample(60_000);
    expect(t.timeoutMs(1_000, 1_500)).toBe(3_000);
  });

  it('ignores samples that are not durations', () => {
    const t = createAckTimeout();
    t.sample(Number.NaN);
    t.sample(-5);
    t.sample(Number.POSITIVE_INFINITY);
    expect(t.srttMs).toBeUndefined();
  });
});
