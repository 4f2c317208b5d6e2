/**
 * The perf gate: unit tests of the pure functions and the CLI, and the done-criterion run
 * for real — the gate fails on a deliberately slowed processPacket and passes without the slowdown.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNativeBackend,
  createPacket,
  encodeNodeAddress,
  expandSharedSecret,
  generateKeyPair,
  lionessDecryptInPlace,
  NYM_PAYLOAD_SIZES,
  processPacket,
} from '@mixnet/sphinx';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compareResults,
  DEFAULT_THRESHOLDS,
  directionOfUnit,
  formatGateHeadline,
  formatGateTable,
  GateInputError,
  median,
  medianOf,
  parseResults,
  parseThresholds,
  resolveRule,
  type Thresholds,
} from './gate.js';
import { DEFAULT_THRESHOLDS_FILE, main } from './gate-main.js';
import { type BenchEntry, type BenchReport, machineInfo, writeReport } from './results.js';

const e = (name: string, value: number, unit = 'us'): BenchEntry => ({ name, unit, value });
/** Thresholds as the file would give them (numbers are shorthand for `{ threshold }`). */
const rules = (metrics: Record<string, unknown>, def = 0.2): Thresholds => parseThresholds({ default: def, metrics });

function run(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-gate-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('directionOfUnit', () => {
  it('time units are lower-is-better, rates and x ratios higher-is-better, others unknown', () => {
    for (const u of ['ns', 'us', 'µs', 'μs', 'ms', 's', 'µs/packet', 'us/packet', 'ns/op'])
      expect(directionOfUnit(u), u).toBe('lower');
    for (const u of ['ops/s', 'packets/s', 'pps', 'msg/s', 'x', 'MB/s']) expect(directionOfUnit(u), u).toBe('higher');
    for (const u of ['ratio', 'bytes', '', 'toString', 'US']) expect(directionOfUnit(u), u).toBeUndefined();
  });
});

describe('compareResults', () => {
  it('fails a lower-is-better metric worse by more than the threshold, passes one within it', () => {
    const r = compareResults([e('a', 100), e('b', 100), e('c', 100)], [e('a', 125), e('b', 115), e('c', 120)]);
    expect(r.rows.map((x) => [x.name, x.verdict])).toEqual([
      ['a', 'fail'],
      ['b', 'pass'],
      ['c', 'pass'], // exactly at the threshold is allowed
    ]);
    expect(r.ok).toBe(false);
    expect(r.regressions.map((x) => x.name)).toEqual(['a']);
    expect(r.gated).toBe(3);
    expect(r.rows[0]?.changePct).toBeCloseTo(25);
    expect(r.rows[0]?.threshold).toBe(0.2);
  });

  it('higher-is-better: a drop fails, a rise passes', () => {
    const r = compareResults(
      [e('tp', 10_000, 'packets/s'), e('up', 100, 'ops/s')],
      [e('tp', 7_500, 'packets/s'), e('up', 300, 'ops/s')],
    );
    expect(r.rows.map((x) => x.verdict)).toEqual(['fail', 'pass']);
    expect(r.rows[0]?.changePct).toBeCloseTo(-25);
    expect(formatGateTable(r)).toContain('✅ improved');
  });

  it('lower-is-better: getting faster by any amount passes', () => {
    expect(compareResults([e('a', 100)], [e('a', 10)]).ok).toBe(true);
  });

  it('reports metrics found on one side only without gating them', () => {
    const r = compareResults([e('gone', 1), e('both', 10)], [e('both', 10), e('new', 1000)]);
    expect(r.rows.map((x) => [x.name, x.verdict])).toEqual([
      ['gone', 'only-base'],
      ['both', 'pass'],
      ['new', 'only-head'],
    ]);
    expect(r.gated).toBe(1);
    expect(r.ok).toBe(true);
  });

  it('does not gate a unit without a direction, unless the threshold file gives one', () => {
    const base = [e('r', 1, 'ratio')];
    const head = [e('r', 2, 'ratio')];
    const plain = compareResults(base, head);
    expect(plain.rows[0]?.verdict).toBe('ungated');
    expect(plain.ok).toBe(true);
    expect(compareResults(base, head, rules({ r: { direction: 'lower' } })).rows[0]?.verdict).toBe('fail');
    expect(compareResults(base, head, rules({ r: { direction: 'higher' } })).rows[0]?.verdict).toBe('pass');
  });

  it('lets the threshold file override the direction derived from the unit', () => {
    const r = compareResults([e('hits', 100)], [e('hits', 50)], rules({ hits: { direction: 'higher' } }));
    expect(r.rows[0]?.verdict).toBe('fail');
  });

  it('gate: false reports without failing; a changed unit or a zero base is not gated', () => {
    const r = compareResults(
      [e('off', 1), e('unit', 1), e('zero', 0)],
      [e('off', 9), e('unit', 1, 'ms'), e('zero', 5)],
      rules({ off: { gate: false } }),
    );
    expect(r.rows.map((x) => [x.verdict, x.note])).toEqual([
      ['ungated', 'report only (gate.json)'],
      ['ungated', 'unit changed'],
      ['ungated', 'base is 0'],
    ]);
    expect(r.ok).toBe(true);
  });

  it('applies per-metric thresholds: exact name over longer prefix over shorter prefix over default', () => {
    const t = rules({ 'sphinx/*': 0.5, 'sphinx/native:*': 0.3, 'sphinx/native: x25519': 0.1 }, 0.2);
    expect(resolveRule('sphinx/native: x25519', 'us', t).threshold).toBe(0.1);
    expect(resolveRule('sphinx/native: lioness', 'us', t).threshold).toBe(0.3);
    expect(resolveRule('sphinx/noble: lioness', 'us', t).threshold).toBe(0.5);
    expect(resolveRule('node/x', 'us', t).threshold).toBe(0.2);
    expect(resolveRule('sphinx/native: x25519', 'us', t).matched).toEqual([
      'sphinx/*',
      'sphinx/native:*',
      'sphinx/native: x25519',
    ]);
    const r = compareResults(
      [e('sphinx/native: x25519', 100), e('sphinx/native: lioness', 100)],
      [e('sphinx/native: x25519', 115), e('sphinx/native: lioness', 125)],
      t,
    );
    expect(r.rows.map((x) => x.verdict)).toEqual(['fail', 'pass']);
  });

  it('fields of different rules combine: a prefix threshold with an exact-name direction', () => {
    const t = rules({ 'node/*': 0.3, 'node/scaling': { direction: 'higher' } });
    expect(resolveRule('node/scaling', 'ratio', t)).toMatchObject({ threshold: 0.3, direction: 'higher', gate: true });
  });
});

describe('medianOf', () => {
  it('takes the median per metric over runs, with the spread as range', () => {
    const m = medianOf([[e('a', 10), e('b', 1)], { entries: [e('a', 30), e('b', 3)] }, [e('a', 20), e('b', 2)]]);
    expect(m.map((x) => [x.name, x.value, x.range])).toEqual([
      ['a', 20, '± 50.0%'],
      ['b', 2, '± 50.0%'],
    ]);
    expect(m[0]?.extra).toBe('median of 3 runs: 10.00, 30.00, 20.00');
  });

  it('averages the middle two of an even count; a metric missing from some runs uses the others', () => {
    const m = medianOf([[e('a', 1)], [e('a', 2), e('b', 7)], [e('a', 4)], [e('a', 100)]]);
    expect(m.map((x) => [x.name, x.value])).toEqual([
      ['a', 3],
      ['b', 7],
    ]);
    expect(m[1]?.range).toBeUndefined();
  });

  it('rejects a metric whose unit differs between runs', () => {
    expect(() => medianOf([[e('a', 1)], [e('a', 1, 'ms')]])).toThrow(GateInputError);
  });
});

describe('parseThresholds', () => {
  it('reads numbers and rule objects, defaulting to 0.2', () => {
    expect(parseThresholds({})).toEqual(DEFAULT_THRESHOLDS);
    expect(
      parseThresholds({
        $comment: 'x',
        default: 0.1,
        metrics: { 'a/*': 0.3, b: { direction: 'higher', gate: false, note: 'why' } },
      }),
    ).toEqual({
      default: 0.1,
      metrics: { 'a/*': { threshold: 0.3 }, b: { direction: 'higher', gate: false, note: 'why' } },
    });
  });

  it('names the file and field it cannot use', () => {
    const bad: [unknown, string][] = [
      [[], 'f.json: must be a JSON object'],
      [{ default: -1 }, 'f.json: default must be a non-negative number'],
      [{ defualt: 0.2 }, 'f.json: unknown field "defualt"'],
      [{ metrics: { a: '0.3' } }, 'f.json: metrics["a"] must be a number or an object'],
      [{ metrics: { a: { threshold: 'x' } } }, 'f.json: metrics["a"].threshold must be'],
      [{ metrics: { a: { direction: 'up' } } }, 'f.json: metrics["a"].direction must be "lower" or "higher"'],
      [{ metrics: { a: { treshold: 0.3 } } }, 'f.json: metrics["a"]: unknown field "treshold"'],
      [{ metrics: { 'a*b': 0.3 } }, 'f.json: metrics["a*b"]: a pattern is an exact name or a prefix'],
    ];
    for (const [json, message] of bad) {
      expect(() => parseThresholds(json, 'f.json'), message).toThrow(GateInputError);
      expect(() => parseThresholds(json, 'f.json')).toThrow(message);
    }
  });

  it('the checked-in bench/gate.json parses and covers the metrics the suites write', () => {
    const t = parseThresholds(JSON.parse(readFileSync(DEFAULT_THRESHOLDS_FILE, 'utf8')), 'bench/gate.json');
    expect(t.default).toBe(0.2);
    expect(resolveRule('sphinx/native: processPacket (1 hop, 2065)', 'us', t)).toMatchObject({
      threshold: 0.2,
      direction: 'lower',
      gate: true,
    });
    expect(resolveRule('sphinx/noble: lioness 2065', 'us', t).threshold).toBe(0.4);
    expect(resolveRule('node/forwarded, 2 workers', 'packets/s', t)).toMatchObject({
      threshold: 0.3,
      direction: 'higher',
    });
    // Every ratio the suites write has a direction or is explicitly report-only.
    for (const name of [
      'sphinx/native: process ÷ primitives',
      'sphinx/noble: process ÷ primitives',
      'peers/native: create ÷ nym',
      'peers/noble: process ÷ nym',
      'node/1 worker ÷ single-core processPacket',
      'node/2 workers ÷ 1 worker',
    ])
      expect(resolveRule(name, 'ratio', t).direction, name).toBeDefined();
    expect(resolveRule('sphinx/native speed-up over noble (process)', 'ratio', t).gate).toBe(false);
  });
});

describe('parseResults', () => {
  it('accepts a report (main.ts) or a bare entry array (github-action-benchmark custom format)', () => {
    const entries = [{ name: 'a', unit: 'us', value: 1, range: '± 1%', extra: 'x' }];
    expect(parseResults({ suite: 's', entries })).toEqual(entries);
    expect(parseResults(entries)).toEqual(entries);
  });

  it('names the file and field it cannot use', () => {
    expect(() => parseResults({ nope: 1 }, 'r.json')).toThrow('r.json: expected an array of entries');
    expect(() => parseResults({ entries: [{ name: 'a', unit: 'us', value: '1' }] }, 'r.json')).toThrow(
      'r.json: entries[0].value must be a finite number ("a", got "1")',
    );
    expect(() => parseResults([{ name: 'a', value: 1 }], 'r.json')).toThrow('r.json: [0].unit must be a string');
    expect(() => parseResults([e('a', 1), e('a', 2)], 'r.json')).toThrow('r.json: [1].name "a" appears twice');
  });
});

describe('formatGateTable', () => {
  it('is a markdown table with both sides, the change, the threshold and the verdict', () => {
    const r = compareResults(
      [{ ...e('x | y', 100), range: '± 1.0%' }, e('t', 10, 'packets/s'), e('old', 1)],
      [e('x | y', 130), e('t', 10, 'packets/s'), e('new', 1)],
    );
    const lines = formatGateTable(r).split('\n');
    expect(lines[0]).toBe('| metric | unit | base | head | change | threshold | verdict |');
    expect(lines[2]).toBe('| x \\| y | us | 100.0 ± 1.0% | 130.0 | +30.0% | ≤ +20% | ❌ regressed |');
    expect(lines[3]).toBe('| t | packets/s | 10.00 | 10.00 | +0.0% | ≥ −20% | ✅ ok |');
    expect(lines[4]).toBe('| old | us | 1.00 | — | — | — | ➖ only in base |');
    expect(lines[5]).toBe('| new | us | — | 1.00 | — | — | ➖ only in head |');
    expect(formatGateHeadline(r)).toBe(
      '**Perf gate: FAILED** — 1 of 2 gated metrics worse than the threshold: x | y +30.0%.',
    );
  });
});

describe('gate-main CLI', () => {
  const write = (dir: string, file: string, json: unknown) => {
    const path = join(dir, file);
    writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
    return path;
  };

  it('exits 0 or 1 by the verdict, takes medians of comma-separated runs, appends to --summary', () => {
    const dir = tmp();
    const base = ['b1', 'b2', 'b3'].map((f, i) =>
      write(dir, `${f}.json`, { entries: [e('p', [100, 101, 99][i] ?? 0)] }),
    );
    // One outlier run on head: the median ignores it.
    const head = ['h1', 'h2', 'h3'].map((f, i) =>
      write(dir, `${f}.json`, { entries: [e('p', [105, 300, 104][i] ?? 0)] }),
    );
    const slow = write(dir, 'slow.json', [e('p', 150)]);
    const summary = write(dir, 'summary.md', '# earlier step\n');
    const ok = run(['--base', base.join(','), '--head', head.join(','), '--summary', summary]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('| p | us | 100.0 ± 1.0% | 105.0 ± 93.3% | +5.0% | ≤ +20% | ✅ ok |');
    const bad = run(['--base', base.join(','), '--head', slow, '--summary', summary]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('**Perf gate: FAILED**');
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('# earlier step\n## Perf gate\n')).toBe(true);
    expect(text.match(/## Perf gate/g)).toHaveLength(2);
  });

  it('exits 2 with a one-line error naming the file, field or flag on bad input', () => {
    const dir = tmp();
    const good = write(dir, 'good.json', [e('p', 1)]);
    const cases: [string[], string][] = [
      [['--head', good], 'gate: --base is required'],
      [['--base', good, '--head', good, '--frobnicate'], "gate: Unknown option '--frobnicate'"],
      [['--base', join(dir, 'missing.json'), '--head', good], `gate: ${join(dir, 'missing.json')}: cannot read`],
      [['--base', write(dir, 'broken.json', '{ "entries": ['), '--head', good], 'broken.json: not valid JSON'],
      [
        ['--base', good, '--head', write(dir, 'nan.json', { entries: [{ name: 'p', unit: 'us', value: null }] })],
        'nan.json: entries[0].value must be a finite number',
      ],
      [
        ['--base', good, '--head', good, '--thresholds', write(dir, 't.json', { default: '20%' })],
        't.json: default must be a non-negative number',
      ],
    ];
    for (const [argv, message] of cases) {
      const r = run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err.trimEnd().split('\n'), r.err).toHaveLength(1);
      expect(r.out).toBe('');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The done-criterion, for real: the sphinx suite's processPacket task (native backend, same packet
// shape and statistic as sphinx-suite.ts: the median time of one call) for base, a slowed head and
// an unmodified head, 3 runs of ~300 ms per side; the gate CLI then runs on the result files.
//
// The three sides are interleaved call by call (in rotating order) rather than run as 300 ms blocks
// one after another: this test runs beside other test files, and on a busy machine a block can
// land in a stretch of contention its neighbours miss (seen: a base block 30% slow). Interleaved,
// any contention hits all three sides alike. The CI job has its machine to itself and alternates
// whole suite runs instead.

const NAME = 'sphinx/native: processPacket (1 hop, 2065)';
type Side = 'base' | 'slowed' | 'head';
const SIDES: readonly Side[] = ['base', 'slowed', 'head'];

describe('the gate on a real processPacket benchmark', () => {
  const backend = createNativeBackend();
  const route = Array.from({ length: 4 }, (_, i) => ({
    ...generateKeyPair(),
    address: encodeNodeAddress({ host: `10.0.0.${i + 1}`, port: 1789 }),
  }));
  const message = new Uint8Array(NYM_PAYLOAD_SIZES.regular - 17).fill(7);
  const packet = createPacket({
    route,
    delaysNs: route.map(() => 15_000_000n),
    destination: new Uint8Array(32),
    message,
  });
  const key = (route[0] as (typeof route)[number]).privateKey;
  const scratch = packet.slice(348);

  /**
   * The "test patch": processPacket plus work a careless change could add to it — deriving the
   * shared secret a second time (X25519 + HKDF) and an extra Lioness pass over the payload.
   */
  const slowedProcessPacket: typeof processPacket = (p, privateKey, opts) => {
    const result = processPacket(p, privateKey, opts);
    const expanded = expandSharedSecret(backend, backend.x25519(privateKey, p.subarray(0, 32)));
    lionessDecryptInPlace(backend, expanded.subarray(32, 224), scratch);
    return result;
  };

  const implementations: Record<Side, typeof processPacket> = {
    base: processPacket,
    slowed: slowedProcessPacket,
    head: processPacket,
  };

  /** One run: each side's calls timed one by one, interleaved, until each has had ~`ms` of time. */
  function measureRun(ms: number): Record<Side, BenchReport> {
    const samples: Record<Side, number[]> = { base: [], slowed: [], head: [] };
    const spent: Record<Side, number> = { base: 0, slowed: 0, head: 0 };
    const call = (side: Side) => {
      const t0 = process.hrtime.bigint();
      implementations[side](packet, key, { backend });
      return Number(process.hrtime.bigint() - t0) / 1000;
    };
    for (let i = 0; i < 200; i++) for (const side of SIDES) call(side); // warm-up
    for (let round = 0; SIDES.some((s) => spent[s] < ms * 1000); round++) {
      for (let k = 0; k < SIDES.length; k++) {
        const side = SIDES[(round + k) % SIDES.length] as Side;
        const us = call(side);
        samples[side].push(us);
        spent[side] += us;
      }
    }
    const report = (side: Side): BenchReport => ({
      suite: 'sphinx',
      date: new Date().toISOString(),
      machine: machineInfo(),
      entries: [
        {
          name: NAME,
          unit: 'us',
          value: Math.round(median(samples[side]) * 100) / 100,
          extra: `${samples[side].length} samples`,
        },
      ],
    });
    return { base: report('base'), slowed: report('slowed'), head: report('head') };
  }

  it('fails with the slowed processPacket and passes without it (medians of 3 runs)', () => {
    const dir = tmp();
    const files: Record<Side, string[]> = { base: [], slowed: [], head: [] };
    for (let i = 1; i <= 3; i++) {
      const reports = measureRun(300);
      for (const side of SIDES) {
        const path = join(dir, `${side}-${i}`, 'sphinx.json');
        writeReport(path, reports[side]);
        files[side].push(path);
      }
    }
    const slowed = run(['--base', files.base.join(','), '--head', files.slowed.join(','), '--summary', join(dir, 's')]);
    const plain = run(['--base', files.base.join(','), '--head', files.head.join(',')]);
    // For the record (the numbers vary by machine).
    process.stdout.write(`\nslowed head:\n${slowed.out}\nunmodified head:\n${plain.out}\n`);

    const values = (side: keyof typeof files) =>
      files[side].map((f) => (JSON.parse(readFileSync(f, 'utf8')) as BenchReport).entries[0]?.value as number);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
    const base = med(values('base'));
    // The patch is real work, not a rounding artefact: well over the 20% threshold.
    expect(med(values('slowed')) / base).toBeGreaterThan(1.3);

    expect(slowed.err).toBe('');
    expect(slowed.code).toBe(1);
    expect(slowed.out).toContain('**Perf gate: FAILED**');
    expect(slowed.out).toMatch(/\| sphinx\/native: processPacket \(1 hop, 2065\) \| us \|.*\| ❌ regressed \|/);
    expect(readFileSync(join(dir, 's'), 'utf8')).toContain('❌ regressed');

    expect(plain.err).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('**Perf gate: passed**');
  }, 60_000);
});
