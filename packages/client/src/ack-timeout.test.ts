import { describe, expect, it } from 'vitest';
import { createAckTimeout } from './ack-timeout.js';

describe('adaptive ack timeout', () => {
  it('is the floor before any ack was measured', () => {
    expect(createAckTimeout().timeoutMs(1_660)).toBe(1_660);
  });

  it('never goes below the floor (Nym’s rule), however fast the acks', () => {
    const t = createAckTimeout();
    for (let i = 0; i < 50; i++) t.sample(10);
    expect(t.srttMs).toBeCloseTo(10);
    expect(t.timeoutMs(1_660)).toBe(1_660);
  });

  it('follows acks slower than the floor expects: smoothed RTT + 4 × deviation', () => {
    const t = createAckTimeout();
    for (let i = 0; i < 50; i++) t.sample(i % 2 === 0 ? 2_000 : 3_000);
    const rto = t.timeoutMs(1_000);
    expect(t.srttMs).toBeGreaterThan(2_300);
    expect(t.srttMs).toBeLessThan(2_700);
    // The deviation keeps it above the slowest acks seen.
    expect(rto).toBeGreaterThan(3_000);
    expect(rto).toBeLessThanOrEqual(4_000);
  });

  it('is capped at maxFactor × the floor', () => {
    const t = createAckTimeout({ maxFactor: 3 });
    t.sample(60_000);
    expect(t.timeoutMs(1_000)).toBe(3_000);
  });

  it('ignores samples that are not durations', () => {
    const t = createAckTimeout();
    t.sample(Number.NaN);
    t.sample(-5);
    t.sample(Number.POSITIVE_INFINITY);
    expect(t.srttMs).toBeUndefined();
  });
});
