/**
 * Bench result entries `{ name, unit, value, range?, extra? }` (github-action-benchmark's custom
 * format): the format the perf gate (gate.ts) reads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';

export interface BenchEntry {
  name: string;
  unit: string;
  value: number;
  /** Spread of the value, e.g. "± 1.2%" (shown by the gate, not compared). */
  range?: string;
  /** Extra context for people (not compared by the gate). */
  extra?: string;
}

export interface BenchReport {
  suite: string;
  date: string;
  /** `browser`: the browser a suite ran in (the browser suite). */
  machine: { node: string; platform: string; cpus: number; cpu: string; browser?: string };
  /** What `value` is for this suite's entries (the table's column name), e.g. "median". */
  statistic?: string;
  entries: BenchEntry[];
}

export function machineInfo(): BenchReport['machine'] {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
  };
}

export function writeReport(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

/** `FILE` → `FILE` with `.json` replaced by `suffix` (e.g. bench.json → bench.machine.json). */
export function siblingPath(path: string, suffix: string): string {
  return path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}${suffix}` : `${path}${suffix}`;
}

export interface ActionFiles {
  /** Every entry: a bare array, github-action-benchmark's custom format. */
  all: string;
  /** Lower-is-better entries only (tool: customSmallerIsBetter). */
  smaller: string;
  /** Higher-is-better entries only (tool: customBiggerIsBetter). */
  bigger: string;
  /** `{ suites, date, machine }`: what the array format has no place for. */
  machine: string;
}

/**
 * `--json FILE`: what github-action-benchmark reads, a bare array of `{ name, unit, value, range?,
 * extra? }`. The action takes one direction per file, so the entries are also split by the gate's
 * direction rules (unit, or bench/gate.json); entries of no known direction are only in FILE.
 */
export function writeActionFiles(
  path: string,
  entries: readonly BenchEntry[],
  meta: { suites: string[]; date: string; machine: BenchReport['machine'] },
  directionOf: (e: BenchEntry) => 'lower' | 'higher' | undefined,
): ActionFiles {
  const files: ActionFiles = {
    all: path,
    smaller: siblingPath(path, '.smaller.json'),
    bigger: siblingPath(path, '.bigger.json'),
    machine: siblingPath(path, '.machine.json'),
  };
  mkdirSync(dirname(path), { recursive: true });
  const write = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  write(files.all, entries);
  write(
    files.smaller,
    entries.filter((e) => directionOf(e) === 'lower'),
  );
  write(
    files.bigger,
    entries.filter((e) => directionOf(e) === 'higher'),
  );
  write(files.machine, meta);
  return files;
}

/** A fixed-width text table; first column left-aligned, the rest right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
