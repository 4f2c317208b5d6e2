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
  machine: { node: string; platform: string; cpus: number; cpu: string };
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

/** A fixed-width text table; first column left-aligned, the rest right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
