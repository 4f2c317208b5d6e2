/** The heal timeline's summary, on a made-up timeline. */
import { describe, expect, it } from 'vitest';
import type { FaultRecord, HealTimeline } from './heal.js';
import { healSummary } from './heal-summary.js';
import type { MessageRecord } from './heal-traffic.js';

const msg = (
  seq: number,
  phase: string,
  latency: number | undefined,
  deliveries = 1,
  error?: string,
): MessageRecord => ({
  seq,
  phase,
  bytes: 100,
  sentAt: 1_000 + seq,
  ...(latency !== undefined ? { receivedAt: 1_000 + seq + latency } : {}),
  deliveries: latency === undefined ? 0 : deliveries,
  ...(error ? { error } : {}),
});

const fault = (kind: FaultRecord['kind'], healedEpoch?: number): FaultRecord => ({
  kind,
  targets: ['x'],
  killEpoch: 10,
  killedAt: 2_000,
  standbyBefore: [],
  ...(healedEpoch !== undefined ? { healedEpoch } : {}),
  events: [],
});

function timeline(messages: MessageRecord[], faults: FaultRecord[]): HealTimeline {
  return { startedAt: 0, readyMs: 1, epochMs: 5_000, mu: 10, phaseMessages: 3, faults, documents: [], messages };
}

describe('heal summary', () => {
  it('medians per phase, epochs to heal, lost, duplicated and failed messages per fault', () => {
    const t = timeline(
      [
        msg(0, 'mixes:pre', 40),
        msg(1, 'mixes:pre', 50),
        msg(2, 'mixes:pre', 60),
        msg(3, 'mixes:fault', 900),
        msg(4, 'mixes:fault', undefined, 0, 'not acknowledged after 60 sends'),
        msg(5, 'mixes:post', 55),
        msg(6, 'mixes:post', 65, 2),
        msg(7, 'mixes:post', 45),
        msg(8, 'gateway:pre', 40),
        msg(9, 'gateway:post', 80),
      ],
      [fault('mixes', 12), fault('gateway')],
    );
    const s = healSummary(t);
    const [mixes, gateway] = s.faults;
    expect(mixes).toMatchObject({
      epochsToHeal: 2,
      preMedianMs: 50,
      faultMedianMs: 900,
      postMedianMs: 55,
      messages: 8,
    });
    expect(mixes).toMatchObject({ lost: 1, duplicated: 1, failed: 1 });
    expect(mixes?.ratio).toBeCloseTo(1.1);
    expect(gateway?.epochsToHeal).toBeUndefined();
    expect(gateway?.ratio).toBe(2);
    expect(s).toMatchObject({ messages: 10, lost: 1, duplicated: 1, failed: 1 });
  });
});
