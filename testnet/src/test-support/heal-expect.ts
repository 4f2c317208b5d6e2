/**
 * What both runtimes' heal tests assert of a run (heal.test.ts, heal-docker.test.ts): one suite of
 * expectations, two runtimes.
 */
import { expect } from 'vitest';
import type { HealTimeline } from '../heal.js';
import { type FaultSummary, LATENCY_TOLERANCE } from '../heal-summary.js';

/** The line each test prints per fault. */
export const faultLine = (f: FaultSummary): string =>
  `${f.kind}: killed ${f.targets.join(', ')} in epoch ${f.record.killEpoch}, healed in ${f.epochsToHeal ?? '—'} epochs; p50 ${f.preMedianMs.toFixed(1)} → ${f.postMedianMs.toFixed(1)} ms (×${f.ratio.toFixed(2)})${f.record.timedOut ? `; timed out: ${f.record.timedOut}` : ''}`;

/** Every message was delivered once, and none failed. */
export function expectEachMessageOnce(t: HealTimeline): void {
  const bad = t.messages.filter((m) => m.deliveries !== 1 || m.error !== undefined);
  expect(bad.map((m) => `#${m.seq} ${m.phase}: ${m.deliveries} deliveries${m.error ? `, ${m.error}` : ''}`)).toEqual(
    [],
  );
}

/** Two killed mixes are out of the active set within two epochs, both standby mixes in, every layer whole (3 × 2). */
export function expectMixesHealed(f: FaultSummary): void {
  expect(f.kind).toBe('mixes');
  expect(f.targets).toHaveLength(2);
  expect(f.record.timedOut).toBeUndefined();
  expect(f.epochsToHeal).toBeGreaterThanOrEqual(1);
  expect(f.epochsToHeal).toBeLessThanOrEqual(2);
  const after = f.record.activeAfter ?? [];
  for (const dead of f.targets) expect(after).not.toContain(dead);
  expect(f.record.standbyBefore).toHaveLength(2);
  for (const standby of f.record.standbyBefore) expect(after).toContain(standby);
  expect(after).toHaveLength(6);
}

/** The median latency of the messages after the fault is within LATENCY_TOLERANCE of the one before. */
export function expectLatencyBack(t: HealTimeline, f: FaultSummary): void {
  const post = t.messages.filter((m) => m.phase === `${f.kind}:post` && m.receivedAt !== undefined);
  expect(post.length).toBeGreaterThanOrEqual(t.phaseMessages);
  expect(f.postMedianMs, faultLine(f)).toBeLessThanOrEqual(f.preMedianMs * LATENCY_TOLERANCE);
}
