import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-format.js';

describe('formatLogLine', () => {
  it('turns a pino line into time, level, node, message and fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      node: 'mix-1-1',
      name: 'mix-1-1',
      err: 'connect ECONNREFUSED',
      queued: 3,
      msg: 'link down',
    });
    expect(formatLogLine(line)).toBe('03:04:05.678  WARN   mix-1-1  link down  err="connect ECONNREFUSED"  queued=3');
  });

  it('leaves lines that are not pino JSON as they are', () => {
    expect(formatLogLine('eth_chainId')).toBe('eth_chainId');
    expect(formatLogLine('{"not":"pino"}')).toBe('{"not":"pino"}');
    expect(formatLogLine('{broken')).toBe('{broken');
  });

  it('never throws, and keeps every non-JSON line unchanged', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = formatLogLine(s);
        if (!s.startsWith('{')) expect(out).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.integer(), fc.integer(), (o, level, time) => {
        expect(typeof formatLogLine(JSON.stringify({ ...o, level, time }))).toBe('string');
      }),
    );
  });
});
