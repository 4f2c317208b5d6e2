/** Line parsing and validation of the §1 trace format. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatEmitLine,
  formatHeldLine,
  formatHopLine,
  formatNs,
  KIND_LOOP,
  LINE_DELIVER,
  LINE_EMIT,
  LINE_HOP,
  parseLine,
  type TraceLine,
  toNs,
} from './trace-format.js';

const asLine = (x: ReturnType<typeof parseLine>) => x as TraceLine;

describe('trace lines (§1)', () => {
  it('parses the four line shapes of §1 into ns times', () => {
    const mix = asLine(
      parseLine('{"n":"m2.1","ti":3.141592653,"pi":"m1.0","hi":"9f3c","tx":3.190000001,"nx":"m3.2","hx":"07ab"}'),
    );
    expect(mix).toMatchObject({ kind: LINE_HOP, n: 'm2.1', ti: 3141592653, tx: 3190000001, pi: 'm1.0', nx: 'm3.2' });
    const client = asLine(parseLine('{"n":"c4","tx":1.5,"nx":"g0","hx":"aa","gt":{"k":"loop","d":"c4"}}'));
    expect(client).toMatchObject({ kind: LINE_EMIT, tx: 1500000000, gk: KIND_LOOP, gd: 'c4' });
    const delivery = asLine(parseLine('{"n":"c7","ti":2,"pi":"g1","hi":"bb"}'));
    expect(delivery.kind).toBe(LINE_DELIVER);
    const held = asLine(parseLine('{"n":"g1","ti":2,"pi":"m3.0","hi":"cc","tx":null}'));
    expect(held.kind).toBe(LINE_HOP);
    expect(Number.isNaN(held.tx)).toBe(true);
    const m = parseLine(
      '{"type":"meta","clients":["c0"],"gateways":["g0"],"layers":[["m1.0"]],"mean_delay":0.01,"proc":0}',
    );
    expect('type' in m && m.layers).toEqual([['m1.0']]);
  });

  it('rejects malformed lines with a reason', () => {
    expect(() => parseLine('{"n":"m1"')).toThrow(/invalid JSON/);
    expect(() => parseLine('[1,2]')).toThrow(/not a JSON object/);
    expect(() => parseLine('{"ti":1,"pi":"a","hi":"b"}')).toThrow(/node name/);
    expect(() => parseLine('{"n":"m","ti":"1","pi":"a","hi":"b","tx":2,"nx":"c","hx":"d"}')).toThrow(/"ti"/);
    expect(() => parseLine('{"n":"m","ti":1,"pi":"a","hi":"b","tx":2}')).toThrow(/"nx" and "hx"/);
    expect(() => parseLine('{"n":"m","ti":3,"pi":"a","hi":"b","tx":2,"nx":"c","hx":"d"}')).toThrow(/before/);
    expect(() => parseLine('{"n":"c","tx":1,"nx":"g","hx":"h","gt":{"k":"fake","d":"c"}}')).toThrow(/gt.k/);
    expect(() => parseLine('{"type":"meta","clients":["a"],"layers":[],"mean_delay":1,"proc":0}')).toThrow(/layers/);
    expect(() => parseLine('{"type":"meta","clients":["a"],"layers":[["a"]],"mean_delay":1,"proc":0}')).toThrow(
      /twice/,
    );
    expect(() => parseLine('{"type":"other"}')).toThrow(/unknown line type/);
  });

  it('writes times with exactly 9 decimals that parse back to the same ns (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 15 }), (ns) => {
        expect(toNs(Number(formatNs(ns)))).toBe(ns);
        expect(formatNs(ns)).toMatch(/^\d+\.\d{9}$/);
      }),
    );
    const hop = asLine(parseLine(formatHopLine('m1.0', 1, 'g0', 'h1', 2, 'm2.0', 'h2')));
    expect([hop.ti, hop.tx]).toEqual([1, 2]);
    expect(asLine(parseLine(formatHeldLine('g0', 5, 'm3.0', 'h'))).ti).toBe(5);
    expect(asLine(parseLine(formatEmitLine('c0', 7, 'g0', 'h', KIND_LOOP, 'c0'))).gk).toBe(KIND_LOOP);
  });
});
