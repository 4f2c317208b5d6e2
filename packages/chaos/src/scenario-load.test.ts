/**
 * Scenario files (issue 17 #5): a bad file gives one ScenarioError naming the field and its
 * line:column; random or mutated YAML never crashes the loader with anything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScenario, ScenarioError } from './scenario-load.js';

const GOOD = `# a comment
name: demo
network:
  layers: 3
  perLayer: 2
  gateways: 2
  epoch: 5s
traffic:
  rate: 5
  duration: 20s
timeline:
  - at: 5s
    kill: mix of layer 2
    as: victim
  - at: 8s
    loss: 0.1
    on: gateway-1
    for: 5s
expect:
  exactlyOnce: true
  p95Latency: 3s
  outOfActiveSet:
    - node: "@victim"
`;

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, 'demo.yaml');
  } catch (err) {
    if (err instanceof ScenarioError) return err;
    throw err;
  }
  throw new Error('parsed');
}

describe('parseScenario', () => {
  it('reads a good file: durations in ms, defaults filled, one action per step', () => {
    const s = parseScenario(GOOD);
    expect(s.traffic.duration).toBe(20_000);
    expect(s.network).toMatchObject({ layers: 3, perLayer: 2, standby: 0, epoch: 5_000, latency: 'none' });
    expect(s.timeline[0]).toMatchObject({ action: 'kill', at: 5_000, kill: ['mix of layer 2'], as: 'victim' });
    expect(s.timeline[1]).toMatchObject({ action: 'loss', loss: 0.1, on: ['gateway-1'], for: 5_000 });
    expect(s.expect.outOfActiveSet?.[0]).toEqual({ node: ['@victim'], withinEpochs: 2 });
  });

  it.each([
    ['a bad duration', GOOD.replace('for: 5s', 'for: 5 seconds'), 'timeline[1].for', 18, 10, /duration like/],
    ['an unknown field', GOOD.replace('  rate: 5', '  rte: 5'), 'traffic.rte', 9, 3, /unknown field "rte"/],
    ['a missing field', GOOD.replace('  duration: 20s\n', ''), 'traffic.duration', 9, 3, /required/],
    ['a probability above 1', GOOD.replace('loss: 0.1', 'loss: 1.5'), 'timeline[1].loss', 16, 11, /1/],
    [
      'two actions in a step',
      GOOD.replace('    as: victim\n', '    stop: mix-1-1\n'),
      'timeline[0]',
      12,
      5,
      /kill and stop/,
    ],
    ['an unknown node', GOOD.replace('on: gateway-1', 'on: gateway-9'), 'timeline[1].on', 17, 9, /no node "gateway-9"/],
    [
      'a name used before it is given',
      GOOD.replace('"@victim"', '"@other"'),
      'expect.outOfActiveSet[0].node',
      23,
      13,
      /not named/,
    ],
    [
      'a selector of no form',
      GOOD.replace('kill: mix of layer 2', 'kill: Mix Two'),
      'timeline[0].kill',
      13,
      11,
      /node id/,
    ],
    ['a step after the traffic', GOOD.replace('at: 8s', 'at: 80s'), 'timeline[1].at', 15, 9, /after the traffic/],
  ])('%s: names the field and its line:column', (_, text, field, line, col, reason) => {
    const e = errorOf(text);
    expect(e.field).toBe(field);
    expect(e.reason).toMatch(reason);
    expect([e.line, e.col]).toEqual([line, col]);
    expect(e.message).toBe(`demo.yaml:${line}:${col}: ${field}: ${e.reason}`);
  });

  it('broken YAML is one error with its position', () => {
    const e = errorOf('name: x\nnetwork: [1, 2\n');
    expect(e.reason).toMatch(/not valid YAML/);
    expect(e.line).toBeGreaterThanOrEqual(2);
  });

  it('every shipped scenario loads', () => {
    const dir = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => parseScenario(readFileSync(`${dir}${f}`, 'utf8'), f)).not.toThrow();
  });
});

const lines = GOOD.split('\n');

describe('parseScenario on random input (fast-check)', () => {
  const outcome = (text: string) => {
    try {
      parseScenario(text);
      return 'ok';
    } catch (err) {
      // Only typed errors, with a position inside the text.
      expect(err).toBeInstanceOf(ScenarioError);
      const e = err as ScenarioError;
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.line).toBeLessThanOrEqual(text.split('\n').length + 1);
      expect(e.col).toBeGreaterThanOrEqual(1);
      return 'error';
    }
  };

  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (t) => void outcome(t)),
      { numRuns: 300 },
    );
  });

  it('the good file with a line replaced, dropped or duplicated', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: lines.length - 1 }),
        fc.constantFrom('drop', 'dup', 'replace'),
        fc.string({ maxLength: 30 }),
        (i, how, junk) => {
          const copy = [...lines];
          if (how === 'drop') copy.splice(i, 1);
          else if (how === 'dup') copy.splice(i, 0, copy[i] as string);
          else copy[i] = `${(copy[i] as string).match(/^\s*/)?.[0] ?? ''}${junk}`;
          outcome(copy.join('\n'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary JSON-like values under the known keys', () => {
    const value = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.record({
          name: value,
          network: fc.oneof(value, fc.dictionary(fc.constantFrom('layers', 'epoch', 'mu', 'chain', 'x'), value)),
          traffic: fc.dictionary(fc.constantFrom('rate', 'duration', 'size', 'kind', 'clients'), value),
          timeline: fc.array(fc.dictionary(fc.constantFrom('at', 'kill', 'loss', 'on', 'for', 'outage'), value), {
            maxLength: 4,
          }),
          expect: fc.dictionary(fc.constantFrom('exactlyOnce', 'deliveryRatio', 'p95Latency', 'metrics'), value),
        }),
        (doc) => void outcome(stringify(doc)),
      ),
      { numRuns: 300 },
    );
  });
});
