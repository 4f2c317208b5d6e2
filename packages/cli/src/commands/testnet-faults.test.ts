/** `testnet fault set|list` flags and rows (testnet-faults.ts); the HTTP side is in testnet/src/faults.test.ts. */
import { describe, expect, it } from 'vitest';
import { describeRule, faultRows, ruleFromFlags } from './testnet-faults.js';

describe('ruleFromFlags', () => {
  it('turns flags into one rule, --for into an expiry', () => {
    expect(
      ruleFromFlags(
        { peer: ['mix-1-1', 'mix-1-2'], loss: '0.1', latency: '50', jitter: '5', for: '15', direction: 'out' },
        1_000,
      ),
    ).toEqual({
      peers: ['mix-1-1', 'mix-1-2'],
      direction: 'out',
      latencyMs: 50,
      jitterMs: 5,
      lossRate: 0.1,
      expiresAt: 16_000,
    });
    expect(ruleFromFlags({ partition: true }, 0)).toEqual({ direction: 'both', partition: true });
    expect(ruleFromFlags({ bandwidth: '10000', corrupt: '0.01', id: 'slow' }, 0)).toEqual({
      id: 'slow',
      direction: 'both',
      bandwidthBps: 10_000,
      corruptRate: 0.01,
    });
  });

  it('refuses a rule that does nothing, and bad values naming the flag', () => {
    expect(() => ruleFromFlags({ peer: ['x'] }, 0)).toThrow(/--latency, --jitter, --loss/);
    expect(() => ruleFromFlags({ loss: '1.5' }, 0)).toThrow(/--loss/);
    expect(() => ruleFromFlags({ loss: '0.1', direction: 'up' }, 0)).toThrow(/--direction/);
    expect(() => ruleFromFlags({ bandwidth: '0' }, 0)).toThrow(/--bandwidth/);
  });
});

describe('faultRows', () => {
  it('lists live rules per node with the time left, config rules only when asked', () => {
    const results = [
      {
        id: 'mix-1-1',
        now: 10_000,
        base: [{ id: 'geo:x', direction: 'out' as const, latencyMs: 30, peers: ['gateway-1'] }],
        rules: [{ lossRate: 0.5, expiresAt: 12_500 }],
      },
      { id: 'mix-1-2', now: 10_000, base: [], rules: [] },
    ];
    expect(faultRows(results)).toEqual([
      { node: 'mix-1-1', source: 'live', rule: '', peers: 'all', dir: 'both', does: 'loss 0.5', left: '2.5 s' },
      { node: 'mix-1-2', source: '', rule: '', peers: '', dir: '', does: '(none)', left: '' },
    ]);
    expect(faultRows(results, { base: true })[0]).toMatchObject({
      source: 'config',
      does: '+30 ms',
      peers: 'gateway-1',
    });
    expect(describeRule({ partition: true, latencyMs: 5, jitterMs: 2, bandwidthBps: 100 })).toBe(
      'partition, +5±2 ms, 100 B/s',
    );
  });
});
