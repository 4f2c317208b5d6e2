/** The verdicts of expectations.ts on made-up run facts: each rule passes and fails where it should. */
import type { MessageRecord } from '@mixnet/testnet';
import { describe, expect, it } from 'vitest';
import { type DocumentSeen, evaluate, quantile, type RunFacts, risesPending, type StepRecord } from './expectations.js';
import { dropDeltas, parseMetrics } from './metrics.js';

const msg = (seq: number, latency: number | undefined, deliveries = latency === undefined ? 0 : 1): MessageRecord => ({
  seq,
  phase: 'run',
  bytes: 100,
  sentAt: 1_000 + seq,
  deliveries,
  ...(latency !== undefined ? { receivedAt: 1_000 + seq + latency } : {}),
});

const metrics = (dropped: number) =>
  parseMetrics(
    `# HELP mixnet_packets_dropped_total x\nmixnet_packets_dropped_total{reason="fault_loss"} ${dropped}\nmixnet_packets_dropped_total{reason="replay"} 3\n`,
  );

function facts(o: Partial<RunFacts> = {}): RunFacts {
  return {
    records: [msg(0, 100), msg(1, 200), msg(2, 300)],
    metricsBefore: new Map([
      ['mix-1-1', metrics(0)],
      ['mix-2-1', metrics(5)],
    ]),
    metricsAfter: new Map([
      ['mix-1-1', metrics(7)],
      ['mix-2-1', metrics(5)],
    ]),
    documents: [],
    steps: [],
    resolve: (sels) => sels.flatMap((s) => (s === 'all mixes' ? ['mix-1-1', 'mix-2-1'] : [s])),
    ...o,
  };
}

describe('evaluate', () => {
  it('exactly once: passes when every message arrived once; a missing or duplicated one fails it', () => {
    expect(evaluate({ exactlyOnce: true }, facts())[0]?.pass).toBe(true);
    const missing = evaluate({ exactlyOnce: true }, facts({ records: [msg(0, 100), msg(1, undefined)] }))[0];
    expect(missing).toMatchObject({ pass: false, actual: '1 delivered, 1 missing, 0 duplicated' });
    expect(evaluate({ exactlyOnce: true }, facts({ records: [msg(0, 100, 2)] }))[0]?.pass).toBe(false);
    expect(evaluate({ exactlyOnce: true }, facts({ records: [] }))[0]?.pass).toBe(false);
  });

  it('delivery ratio and latency quantiles against their bounds', () => {
    const records = [msg(0, 100), msg(1, 200), msg(2, undefined), msg(3, 5_000)];
    const [ratio, p50, p95] = evaluate({ deliveryRatio: 0.75, p50Latency: 200, p95Latency: 1_000 }, facts({ records }));
    expect(ratio).toMatchObject({ pass: true, actual: '0.750 (3/4)' });
    expect(p50).toMatchObject({ expectation: 'p50 latency', pass: true, actual: '200 ms' });
    expect(p95).toMatchObject({ expectation: 'p95 latency', pass: false, actual: '5000 ms' });
    expect(evaluate({ deliveryRatio: 0.8 }, facts({ records }))[0]?.pass).toBe(false);
    expect(evaluate({ p95Latency: 1_000 }, facts({ records: [msg(0, undefined)] }))[0]).toMatchObject({
      pass: false,
      actual: 'nothing delivered',
    });
  });

  it('metrics: rise and flat over the named nodes, summed over the matching labels', () => {
    const rise = { metric: 'mixnet_packets_dropped_total', labels: { reason: 'fault_loss' }, change: 'rise' as const };
    expect(evaluate({ metrics: [{ ...rise, on: ['all mixes'] }] }, facts())[0]).toMatchObject({
      pass: true,
      actual: '5 → 12',
    });
    expect(evaluate({ metrics: [{ ...rise, on: ['mix-2-1'] }] }, facts())[0]?.pass).toBe(false);
    expect(evaluate({ metrics: [{ ...rise, on: ['mix-2-1'], change: 'flat' }] }, facts())[0]?.pass).toBe(true);
    // The replay counter did not move: flat over every reason would fail (fault_loss rose on mix-1-1).
    const all = { metric: 'mixnet_packets_dropped_total', on: ['mix-1-1'], change: 'flat' as const };
    expect(evaluate({ metrics: [all] }, facts())[0]?.pass).toBe(false);
  });

  it('rises pending: only while a counter expected to rise has not (flat ones never hold the run)', () => {
    const rise = { metric: 'mixnet_packets_dropped_total', labels: { reason: 'fault_loss' }, change: 'rise' as const };
    expect(risesPending({ metrics: [{ ...rise, on: ['mix-1-1'] }] }, facts())).toBe(false);
    expect(risesPending({ metrics: [{ ...rise, on: ['mix-2-1'] }] }, facts())).toBe(true);
    // A flat expectation that fails is judged at the end, not waited on.
    expect(risesPending({ metrics: [{ ...rise, on: ['mix-1-1'], change: 'flat' }] }, facts())).toBe(false);
    expect(risesPending({}, facts())).toBe(false);
  });

  it('metrics: a node that did not answer is named; with none answering the expectation fails', () => {
    const m = { metric: 'mixnet_packets_dropped_total', on: ['mix-1-1', 'mix-9-9'], change: 'rise' as const };
    expect(evaluate({ metrics: [m] }, facts())[0]).toMatchObject({
      pass: true,
      actual: '3 → 10 (mix-9-9 did not answer)',
    });
    expect(evaluate({ metrics: [{ ...m, on: ['mix-9-9'] }] }, facts())[0]?.pass).toBe(false);
  });

  it('out of the active set: within N epochs of the step that hit the node', () => {
    const steps: StepRecord[] = [
      { index: 0, action: 'kill', label: 'kill', at: 5_000, startedMs: 5_000, targets: ['mix-2-1'], epoch: 4 },
    ];
    const doc = (epoch: number, active: string[]): DocumentSeen => ({ epoch, seenAt: epoch, active });
    const documents = [doc(4, ['mix-2-1', 'mix-1-1']), doc(5, ['mix-2-1', 'mix-1-1']), doc(6, ['mix-1-1'])];
    const spec = (n: number) => ({ outOfActiveSet: [{ node: ['mix-2-1'], withinEpochs: n }] });
    expect(evaluate(spec(2), facts({ steps, documents }))[0]).toMatchObject({ pass: true, actual: 'out in epoch 6' });
    expect(evaluate(spec(1), facts({ steps, documents }))[0]).toMatchObject({
      pass: false,
      expected: 'by epoch 5 (fault in 4)',
      actual: 'still active through epoch 5',
    });
  });
});

describe('helpers', () => {
  it('quantile is the nearest rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('drop deltas per node and reason, non-zero only, silent nodes left out', () => {
    const before = new Map([
      ['a', metrics(1)],
      ['b', undefined],
    ]);
    const after = new Map([
      ['a', metrics(4)],
      ['b', metrics(9)],
    ]);
    expect(dropDeltas(before, after)).toEqual({ a: { fault_loss: 3 } });
  });
});
