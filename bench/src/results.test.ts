import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, parseResults, resolveRule } from './gate.js';
import { type BenchEntry, machineInfo, siblingPath, writeActionFiles } from './results.js';
import { describeThreads } from './stats.js';

const entries: BenchEntry[] = [
  { name: 'sphinx/native: processPacket (1 hop, 2065)', unit: 'us', value: 86, range: '± 1.0%' },
  { name: 'node/forwarded, 1 worker', unit: 'packets/s', value: 9840, extra: 'x' },
  { name: 'node/2 workers ÷ 1 worker', unit: 'ratio', value: 1.66 },
];

describe('--json FILE (github-action-benchmark)', () => {
  it('writes a bare array of every entry, one file per direction, and the machine beside them', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bench-json-')), 'bench.json');
    const files = writeActionFiles(
      file,
      entries,
      { suites: ['sphinx', 'node'], date: '2025-01-01T00:00:00.000Z', machine: machineInfo() },
      (e) => resolveRule(e.name, e.unit, DEFAULT_THRESHOLDS).direction,
    );
    const read = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
    const all = read(files.all);
    // The action's custom tools read an array of { name, unit, value, range?, extra? } and nothing else.
    expect(Array.isArray(all)).toBe(true);
    expect(all).toEqual(entries);
    expect(parseResults(all, 'bench.json')).toEqual(entries);
    expect(read(files.smaller).map((e: BenchEntry) => e.unit)).toEqual(['us']);
    expect(read(files.bigger).map((e: BenchEntry) => e.unit)).toEqual(['packets/s']);
    expect(read(files.machine)).toMatchObject({ suites: ['sphinx', 'node'], machine: { node: process.version } });
    expect(files.machine).toBe(siblingPath(file, '.machine.json'));
    expect(files.machine.endsWith('bench.machine.json')).toBe(true);
  });
});

describe('describeThreads', () => {
  it('names the busiest threads as workers and sums the rest as helpers', () => {
    const text = describeThreads({ main: 7.2, t11: 2, t12: 49.6, t13: 50.1, t14: 3 }, 2);
    expect(text).toBe('main thread 7, 2 workers 100 (50 + 50), V8/libuv helpers 5 µs/packet');
    expect(describeThreads({ main: 90, t2: 1 }, 0)).toBe('main thread 90, V8/libuv helpers 1 µs/packet');
    expect(text).not.toMatch(/\bt\d+/);
  });
});
