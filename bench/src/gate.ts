/**
 * The perf gate: compares base and head bench results (entries `{ name, unit, value, range?, extra? }`,
 * each side the median of several runs taken in the same job on the same machine) and fails when a
 * gated metric is worse by more than its threshold. Pure functions; the CLI is gate-main.ts.
 *
 * "Worse" is the relative change of the value in the bad direction: for lower-is-better units
 * (µs, ms, ...) `(head - base) / base`, for higher-is-better units (ops/s, packets/s, ...)
 * `(base - head) / base`. The direction comes from the unit (UNIT_DIRECTIONS) unless the
 * threshold file says otherwise; a metric whose direction is unknown (e.g. unit "ratio" without
 * an override) is reported but not gated, as is a metric found on one side only.
 */
import type { BenchEntry } from './results.js';
import { median as medianOfValues } from './stats.js';

export type Direction = 'lower' | 'higher';

/** Which way is better, by unit. Units not listed here have no direction unless the threshold file gives one. */
export const UNIT_DIRECTIONS: Readonly<Record<string, Direction>> = {
  ns: 'lower',
  us: 'lower',
  µs: 'lower', // U+00B5 micro sign
  μs: 'lower', // U+03BC Greek mu
  ms: 'lower',
  s: 'lower',
  'ns/op': 'lower',
  'us/op': 'lower',
  'µs/op': 'lower',
  'μs/op': 'lower',
  'ms/op': 'lower',
  'ns/packet': 'lower',
  'us/packet': 'lower',
  'µs/packet': 'lower',
  'μs/packet': 'lower',
  'ms/packet': 'lower',
  'ops/s': 'higher',
  'op/s': 'higher',
  'packets/s': 'higher',
  pps: 'higher',
  'msg/s': 'higher',
  'msgs/s': 'higher',
  'messages/s': 'higher',
  'req/s': 'higher',
  'B/s': 'higher',
  'MB/s': 'higher',
  'MiB/s': 'higher',
  x: 'higher',
};

export function directionOfUnit(unit: string): Direction | undefined {
  return Object.hasOwn(UNIT_DIRECTIONS, unit) ? UNIT_DIRECTIONS[unit] : undefined;
}

/** Input the gate cannot use (a file, a field, a flag): the CLI exits 2 with this one-line message. */
export class GateInputError extends Error {
  override name = 'GateInputError';
}

// ---------------------------------------------------------------------------------------------
// Threshold file (bench/gate.json)

/** Per-metric settings; every field is optional and overrides the less specific rules. */
export interface MetricRule {
  /** Allowed relative worsening, e.g. 0.3 for 30%. */
  threshold?: number;
  /** Overrides the direction derived from the unit. */
  direction?: Direction;
  /** `false`: report only, never fail on this metric. */
  gate?: boolean;
  /** Why this rule exists (for people). */
  note?: string;
}

export interface Thresholds {
  /** Threshold for metrics no rule sets one for, e.g. 0.2. */
  default: number;
  /**
   * Rules by metric name: an exact name, or a prefix followed by `*` (`sphinx/noble:*`). All
   * matching rules apply, from the shortest prefix to the longest and the exact name last.
   */
  metrics: Record<string, MetricRule>;
}

export const DEFAULT_THRESHOLD = 0.2;
export const DEFAULT_THRESHOLDS: Thresholds = { default: DEFAULT_THRESHOLD, metrics: {} };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function thresholdValue(x: unknown, where: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
    throw new GateInputError(`${where} must be a non-negative number (0.2 = 20%), got ${JSON.stringify(x)}`);
  return x;
}

/**
 * Checks a parsed threshold file: `{ "default"?: 0.2, "metrics"?: { "<name or prefix*>": 0.3 |
 * { threshold?, direction?: "lower"|"higher", gate?: boolean, note?: string } } }`. `source` names the
 * file in error messages.
 */
export function parseThresholds(json: unknown, source = 'thresholds'): Thresholds {
  if (!isObject(json)) throw new GateInputError(`${source}: must be a JSON object`);
  for (const key of Object.keys(json))
    if (!['default', 'metrics', '$comment'].includes(key))
      throw new GateInputError(`${source}: unknown field "${key}" (expected default, metrics, $comment)`);
  const result: Thresholds = {
    default: json.default === undefined ? DEFAULT_THRESHOLD : thresholdValue(json.default, `${source}: default`),
    metrics: {},
  };
  if (json.metrics === undefined) return result;
  if (!isObject(json.metrics)) throw new GateInputError(`${source}: metrics must be an object`);
  for (const [pattern, raw] of Object.entries(json.metrics)) {
    const where = `${source}: metrics["${pattern}"]`;
    const star = pattern.indexOf('*');
    if (pattern === '' || (star !== -1 && star !== pattern.length - 1))
      throw new GateInputError(`${where}: a pattern is an exact name or a prefix ending in a single "*"`);
    if (typeof raw === 'number') {
      result.metrics[pattern] = { threshold: thresholdValue(raw, where) };
      continue;
    }
    if (!isObject(raw)) throw new GateInputError(`${where} must be a number or an object`);
    const rule: MetricRule = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'threshold') rule.threshold = thresholdValue(value, `${where}.threshold`);
      else if (key === 'direction') {
        if (value !== 'lower' && value !== 'higher')
          throw new GateInputError(`${where}.direction must be "lower" or "higher", got ${JSON.stringify(value)}`);
        rule.direction = value;
      } else if (key === 'gate') {
        if (typeof value !== 'boolean') throw new GateInputError(`${where}.gate must be true or false`);
        rule.gate = value;
      } else if (key === 'note' || key === '$comment') {
        if (typeof value !== 'string') throw new GateInputError(`${where}.${key} must be a string`);
        rule.note = value;
      } else throw new GateInputError(`${where}: unknown field "${key}" (expected threshold, direction, gate, note)`);
    }
    result.metrics[pattern] = rule;
  }
  return result;
}

export interface ResolvedRule {
  threshold: number;
  /** Undefined: the unit has no known direction and no rule gives one. */
  direction: Direction | undefined;
  gate: boolean;
  /** The patterns that applied, least specific first. */
  matched: string[];
}

/** The settings for one metric: default, then matching prefixes (shortest first), then the exact name. */
export function resolveRule(name: string, unit: string, thresholds: Thresholds): ResolvedRule {
  const prefixes = Object.keys(thresholds.metrics)
    .filter((p) => p.endsWith('*') && name.startsWith(p.slice(0, -1)))
    .sort((a, b) => a.length - b.length);
  const matched = Object.hasOwn(thresholds.metrics, name) ? [...prefixes, name] : prefixes;
  const resolved: ResolvedRule = {
    threshold: thresholds.default,
    direction: directionOfUnit(unit),
    gate: true,
    matched,
  };
  for (const pattern of matched) {
    const rule = thresholds.metrics[pattern] as MetricRule;
    if (rule.threshold !== undefined) resolved.threshold = rule.threshold;
    if (rule.direction !== undefined) resolved.direction = rule.direction;
    if (rule.gate !== undefined) resolved.gate = rule.gate;
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// Result files and medians

/** A result file as written by main.ts (`{ suite, entries, ... }`), or a bare array of entries. */
export type ResultSet = readonly BenchEntry[] | { readonly entries: readonly BenchEntry[] };

function entriesOf(set: ResultSet): readonly BenchEntry[] {
  return Array.isArray(set) ? set : (set as { entries: readonly BenchEntry[] }).entries;
}

/** Checks a parsed result file (report or bare entry array); errors name `source` and the field. */
export function parseResults(json: unknown, source = 'results'): BenchEntry[] {
  const list = Array.isArray(json) ? json : isObject(json) ? json.entries : undefined;
  if (!Array.isArray(list))
    throw new GateInputError(`${source}: expected an array of entries or an object with an "entries" array`);
  const field = Array.isArray(json) ? '' : 'entries';
  const seen = new Set<string>();
  return list.map((raw, i): BenchEntry => {
    const where = `${source}: ${field}[${i}]`;
    if (!isObject(raw)) throw new GateInputError(`${where} must be an object`);
    const { name, unit, value, range, extra } = raw;
    if (typeof name !== 'string' || name === '') throw new GateInputError(`${where}.name must be a non-empty string`);
    if (typeof unit !== 'string') throw new GateInputError(`${where}.unit must be a string ("${name}")`);
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new GateInputError(`${where}.value must be a finite number ("${name}", got ${JSON.stringify(value)})`);
    if (range !== undefined && typeof range !== 'string')
      throw new GateInputError(`${where}.range must be a string ("${name}")`);
    if (extra !== undefined && typeof extra !== 'string')
      throw new GateInputError(`${where}.extra must be a string ("${name}")`);
    if (seen.has(name)) throw new GateInputError(`${where}.name "${name}" appears twice`);
    seen.add(name);
    const entry: BenchEntry = { name, unit, value };
    if (range !== undefined) entry.range = range;
    if (extra !== undefined) entry.extra = extra;
    return entry;
  });
}

/** The project's one median rule (stats.ts); a median of nothing is an input error here. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of nothing');
  return medianOfValues(xs);
}

/**
 * Merges several runs into one entry per metric: the median of the runs that have it, with `range`
 * set to half the spread (max − min) relative to the median, e.g. "± 1.2%", and `extra` listing the
 * runs. Metrics keep the order of first appearance. A metric whose unit differs between runs is an input error.
 */
export function medianOf(runs: readonly ResultSet[]): BenchEntry[] {
  const byName = new Map<string, { unit: string; values: number[] }>();
  for (const run of runs) {
    for (const e of entriesOf(run)) {
      const seen = byName.get(e.name);
      if (!seen) byName.set(e.name, { unit: e.unit, values: [e.value] });
      else if (seen.unit !== e.unit)
        throw new GateInputError(`"${e.name}": unit "${e.unit}" in one run, "${seen.unit}" in another`);
      else seen.values.push(e.value);
    }
  }
  return [...byName].map(([name, { unit, values }]): BenchEntry => {
    const value = median(values);
    if (values.length === 1) return { name, unit, value };
    const spread = (Math.max(...values) - Math.min(...values)) / 2;
    const entry: BenchEntry = {
      name,
      unit,
      value,
      extra: `median of ${values.length} runs: ${values.map(formatValue).join(', ')}`,
    };
    if (value !== 0) entry.range = `± ${((spread / Math.abs(value)) * 100).toFixed(1)}%`;
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** pass/fail: gated. ungated: no direction, `gate: false`, base 0 or unit changed. only-*: one side only. */
export type Verdict = 'pass' | 'fail' | 'ungated' | 'only-base' | 'only-head';

export interface GateRow {
  name: string;
  unit: string;
  base?: number;
  head?: number;
  baseRange?: string;
  headRange?: string;
  /** (head − base) / base × 100, signed; undefined when either side is missing or base is 0. */
  changePct?: number;
  /** Allowed relative worsening (0.2 = 20%); set for gated rows. */
  threshold?: number;
  direction?: Direction;
  verdict: Verdict;
  /** Why a row is not gated, when it is not. */
  note?: string;
}

export interface GateResult {
  /** False when any gated metric regressed beyond its threshold. */
  ok: boolean;
  rows: GateRow[];
  /** The rows with verdict "fail". */
  regressions: GateRow[];
  /** How many rows were gated (pass or fail). */
  gated: number;
}

/** Compares head against base (each a result set, e.g. from medianOf); base order first, then head-only metrics. */
export function compareResults(
  base: ResultSet,
  head: ResultSet,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): GateResult {
  const baseEntries = entriesOf(base);
  const headByName = new Map(entriesOf(head).map((e) => [e.name, e]));
  const baseNames = new Set(baseEntries.map((e) => e.name));
  const rows: GateRow[] = [];
  for (const b of baseEntries) {
    const h = headByName.get(b.name);
    const row: GateRow = { name: b.name, unit: b.unit, base: b.value, verdict: 'only-base' };
    if (b.range) row.baseRange = b.range;
    if (!h) {
      row.note = 'not in head';
      rows.push(row);
      continue;
    }
    row.head = h.value;
    if (h.range) row.headRange = h.range;
    if (b.value !== 0) row.changePct = ((h.value - b.value) / Math.abs(b.value)) * 100;
    const rule = resolveRule(b.name, b.unit, thresholds);
    if (rule.direction) row.direction = rule.direction;
    if (h.unit !== b.unit) {
      row.verdict = 'ungated';
      row.unit = `${b.unit} → ${h.unit}`;
      row.note = 'unit changed';
      delete row.changePct;
    } else if (!rule.gate) {
      row.verdict = 'ungated';
      row.note = 'report only (gate.json)';
    } else if (!rule.direction) {
      row.verdict = 'ungated';
      row.note = `no direction for unit "${b.unit}"`;
    } else if (b.value === 0) {
      row.verdict = 'ungated';
      row.note = 'base is 0';
    } else {
      const change = (h.value - b.value) / Math.abs(b.value);
      const worse = rule.direction === 'lower' ? change : -change;
      row.threshold = rule.threshold;
      row.verdict = worse > rule.threshold ? 'fail' : 'pass';
    }
    rows.push(row);
  }
  for (const h of entriesOf(head)) {
    if (baseNames.has(h.name)) continue;
    const row: GateRow = { name: h.name, unit: h.unit, head: h.value, verdict: 'only-head', note: 'not in base' };
    if (h.range) row.headRange = h.range;
    rows.push(row);
  }
  const regressions = rows.filter((r) => r.verdict === 'fail');
  const gated = rows.filter((r) => r.verdict === 'pass' || r.verdict === 'fail').length;
  return { ok: regressions.length === 0, rows, regressions, gated };
}

// ---------------------------------------------------------------------------------------------
// Output

/** Four significant digits or so, no exponent for ordinary bench values. */
export function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

function signedPct(pct: number, digits = 1): string {
  const s = pct.toFixed(digits);
  return pct >= 0 ? `+${s}%` : `${s}%`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function verdictText(row: GateRow): string {
  switch (row.verdict) {
    case 'fail':
      return '❌ regressed';
    case 'pass': {
      const better =
        row.changePct !== undefined &&
        row.threshold !== undefined &&
        (row.direction === 'lower' ? -row.changePct : row.changePct) > row.threshold * 100;
      return better ? '✅ improved' : '✅ ok';
    }
    case 'ungated':
      return `➖ not gated: ${row.note ?? ''}`;
    case 'only-base':
      return '➖ only in base';
    case 'only-head':
      return '➖ only in head';
  }
}

/**
 * A markdown table of both sides, one row per metric; readable as plain text on stdout and rendered
 * in `$GITHUB_STEP_SUMMARY`. The threshold column shows the allowed change: "≤ +20%" for a
 * lower-is-better metric, "≥ −20%" for a higher-is-better one.
 */
export function formatGateTable(result: GateResult): string {
  const header = ['metric', 'unit', 'base', 'head', 'change', 'threshold', 'verdict'];
  const lines = [`| ${header.join(' | ')} |`, '| :-- | :-- | --: | --: | --: | --: | :-- |'];
  const value = (v: number | undefined, range: string | undefined) =>
    v === undefined ? '—' : range ? `${formatValue(v)} ${range}` : formatValue(v);
  for (const row of result.rows) {
    const pct = row.threshold === undefined ? '' : `${+(row.threshold * 100).toFixed(1)}%`;
    const threshold = row.threshold === undefined ? '—' : row.direction === 'lower' ? `≤ +${pct}` : `≥ −${pct}`;
    const cells = [
      row.name,
      row.unit,
      value(row.base, row.baseRange),
      value(row.head, row.headRange),
      row.changePct === undefined ? '—' : signedPct(row.changePct),
      threshold,
      verdictText(row),
    ];
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One line saying whether the gate passed, and which metrics failed. */
export function formatGateHeadline(result: GateResult): string {
  if (result.gated === 0) return '**Perf gate: passed, but no metric was gated** (no metric in both base and head).';
  const gated = result.gated === 1 ? '1 gated metric' : `${result.gated} gated metrics`;
  if (result.ok)
    return `**Perf gate: passed** — ${gated} within ${result.gated === 1 ? 'its threshold' : 'their thresholds'}.`;
  const names = result.regressions
    .map((r) => `${r.name} ${r.changePct === undefined ? '' : signedPct(r.changePct)}`.trim())
    .join('; ');
  return `**Perf gate: FAILED** — ${result.regressions.length} of ${gated} worse than the threshold: ${names}.`;
}
