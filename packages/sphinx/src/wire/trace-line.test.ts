import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDeliverLine, formatEmitLine, formatHeldLine, formatHopLine, formatNs } from './trace-line.js';

describe('trace lines (the one writer)', () => {
  it('writes seconds with exactly 9 decimals, without float error', () => {
    expect(formatNs(1_234_567_890_123)).toBe('1234.567890123');
    expect(formatNs(5)).toBe('0.000000005');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), (ns) => {
        const text = formatNs(ns);
        expect(text).toMatch(/^\d+\.\d{9}$/);
        expect(BigInt(text.replace('.', ''))).toBe(BigInt(ns));
      }),
    );
  });

  it('writes JSON objects with the fields of the format, for any names', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.nat(), fc.nat(), (n, other, ti, dt) => {
        const hop = JSON.parse(formatHopLine(n, ti, other, 'aa', ti + dt, other, 'bb'));
        expect(hop).toEqual({
          n,
          ti: Number(formatNs(ti)),
          pi: other,
          hi: 'aa',
          tx: Number(formatNs(ti + dt)),
          nx: other,
          hx: 'bb',
        });
        expect(JSON.parse(formatHeldLine(n, ti, other, 'h'))).toEqual({
          n,
          ti: Number(formatNs(ti)),
          pi: other,
          hi: 'h',
          tx: null,
        });
        expect(JSON.parse(formatEmitLine(n, ti, other, 'h', 'loop', other)).gt).toEqual({ k: 'loop', d: other });
        expect(Object.keys(JSON.parse(formatDeliverLine(n, ti, other, 'h')))).toEqual(['n', 'ti', 'pi', 'hi']);
      }),
    );
  });
});
