/** Client options (options.ts): defaults, and every bad field named in its error. */
import { describe, expect, it } from 'vitest';
import { ClientOptionsError, DEFAULT_TRAFFIC, resolveTraffic, type TrafficOptions } from './options.js';

const expectBad = (input: Record<string, unknown>, field: string) => {
  let error: unknown;
  try {
    resolveTraffic(input as Partial<TrafficOptions>);
  } catch (err) {
    error = err;
  }
  expect(error, JSON.stringify(input)).toBeInstanceOf(ClientOptionsError);
  expect((error as Error).message).toContain(`traffic.${field}`);
};

describe('resolveTraffic', () => {
  it('fills in the defaults and leaves them untouched', () => {
    const before = { ...DEFAULT_TRAFFIC };
    expect(resolveTraffic(undefined)).toEqual(DEFAULT_TRAFFIC);
    expect(resolveTraffic({})).toEqual(DEFAULT_TRAFFIC);
    const t = resolveTraffic({ mu: 0, sendGapMs: 0, cover: false });
    expect(t).toEqual({ ...DEFAULT_TRAFFIC, mu: 0, sendGapMs: 0, cover: false });
    t.mu = 99;
    expect(DEFAULT_TRAFFIC).toEqual(before);
    expect(resolveTraffic(undefined)).not.toBe(DEFAULT_TRAFFIC);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_TRAFFIC).toMatchObject({
      mu: 15,
      sendGapMs: 20,
      loopGapMs: 200,
      cover: true,
      ackWaitAdditionMs: 1_500,
      maxAttempts: 20,
      maxMessageSize: 1024 * 1024,
      replySurbs: 4,
    });
  });

  it.each([
    ['mu', -1],
    ['mu', Number.NaN],
    ['mu', Number.POSITIVE_INFINITY],
    ['mu', '15'],
    ['sendGapMs', -0.5],
    ['loopGapMs', 0],
    ['loopGapMs', null],
    ['ackWaitAdditionMs', -1],
    ['maxAttempts', 0],
    ['maxAttempts', 2.5],
    ['maxMessageSize', 0],
    ['maxMessageSize', 1.5],
    ['reassemblyTimeoutMs', 0],
    ['replySurbs', 0],
    ['replySurbs', 1.5],
    ['replySurbs', 65],
    ['requestTimeoutMs', 0],
    ['requestTimeoutMs', Number.NaN],
    ['cover', 'yes'],
    ['cover', 1],
  ])('names traffic.%s when it is %s', (field, value) => {
    expectBad({ [field]: value }, field);
  });

  it('says integer for integer fields', () => {
    expect(() => resolveTraffic({ maxAttempts: 2.5 })).toThrow(/traffic\.maxAttempts must be an integer/);
  });

  it('refuses a zero send gap with cover on, naming sendGapMs, and allows it with cover off', () => {
    expectBad({ sendGapMs: 0 }, 'sendGapMs');
    expectBad({ sendGapMs: 0, cover: true }, 'sendGapMs');
    expect(resolveTraffic({ sendGapMs: 0, cover: false }).sendGapMs).toBe(0);
  });

  it('accepts the boundaries', () => {
    expect(() =>
      resolveTraffic({
        mu: 0,
        loopGapMs: 1,
        ackWaitAdditionMs: 0,
        maxAttempts: 1,
        maxMessageSize: 1,
        reassemblyTimeoutMs: 1,
        replySurbs: 64,
        requestTimeoutMs: 1,
      }),
    ).not.toThrow();
  });
});
