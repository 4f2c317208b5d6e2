/** The recovery plot, drawn from a made-up timeline (the live experiment is testnet/src/heal.test.ts). */
import type { HealTimeline } from '@mixnet/testnet';
import { describe, expect, it } from 'vitest';
import { healTimelineSvg } from './heal-suite.js';

describe('heal timeline plot', () => {
  it('one dot per message, lost ones on the top edge; kills, restarts and epoch boundaries marked', () => {
    const startedAt = 1_000_000;
    const at = (s: number) => startedAt + s * 1000;
    const messages = Array.from({ length: 30 }, (_, i) => ({
      seq: i,
      phase: i < 10 ? 'mixes:pre' : i < 20 ? 'mixes:fault' : 'mixes:post',
      bytes: 100,
      sentAt: at(i),
      deliveries: i === 15 ? 0 : 1,
      ...(i === 15 ? {} : { receivedAt: at(i) + (i >= 10 && i < 20 ? 2_000 : 40) }),
    }));
    const t: HealTimeline = {
      startedAt,
      readyMs: 1,
      epochMs: 5_000,
      mu: 10,
      phaseMessages: 10,
      messages,
      documents: [0, 5, 10, 15, 20, 25].map((s, e) => ({
        epoch: e,
        validFrom: at(s),
        seenAt: at(s),
        hash: String(e),
        mixes: [],
        gateways: [],
        standby: [],
      })),
      faults: [
        {
          kind: 'mixes',
          targets: ['mix-2-1'],
          killEpoch: 2,
          killedAt: at(10),
          standbyBefore: [],
          healedEpoch: 3,
          healedAt: at(15),
          events: [],
        },
        {
          kind: 'directory',
          targets: ['directory'],
          killEpoch: 4,
          killedAt: at(21),
          restartedAt: at(26),
          standbyBefore: [],
          events: [],
        },
      ],
    };
    const svg = healTimelineSvg(t);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/h0/g)).toHaveLength(30);
    expect(svg.match(/<path /g)).toHaveLength(4);
    for (const label of [
      'kill mixes',
      'kill directory',
      'restart',
      'epoch 3',
      'before',
      'during a fault',
      'after',
      'lost',
    ])
      expect(svg).toContain(label);
    expect(svg.match(/stroke-dasharray/g)?.length).toBeGreaterThanOrEqual(6);
    // y axis: 4 × max(50 ms, the pre-fault median of 40 ms) = 200 ms; the 2 s messages sit on its top edge.
    expect(svg).toContain('>200.0<');
    expect(svg).not.toContain('>2000.0<');
  });
});
