/**
 * The verdicts: each expectation of a scenario checked against what the run recorded. Pure (no
 * network), so every rule is unit-tested on made-up facts.
 */
import type { MessageRecord } from '@mixnet/testnet';
import { type Sample, sumMetric } from './metrics.js';
import type { ExpectSpec } from './scenario-schema.js';

export interface StepRecord {
  index: number;
  action: string;
  /** What the step said, for people (`kill mix of layer 2`). */
  label: string;
  /** Planned and actual start, ms from the traffic's start. */
  at: number;
  startedMs: number;
  /** ms from the traffic's start when the fault ended (a `for`, a resume), if it did. */
  endMs?: number;
  targets: string[];
  /** The directory's epoch when the step ran. */
  epoch?: number;
  name?: string;
  error?: string;
}

export interface DocumentSeen {
  epoch: number;
  /** ms since the Unix epoch. */
  seenAt: number;
  /** Active mixes and gateways. */
  active: string[];
}

export interface RunFacts {
  records: readonly MessageRecord[];
  /** Samples per node id at the traffic's start and end (undefined: the node did not answer). */
  metricsBefore: ReadonlyMap<string, Sample[] | undefined>;
  metricsAfter: ReadonlyMap<string, Sample[] | undefined>;
  documents: readonly DocumentSeen[];
  steps: readonly StepRecord[];
  /** relay-tx: transactions the chain counted. */
  chainCount?: number;
  /** Resolves selectors at the end of the run (ids, roles, `@name`). */
  resolve(selectors: readonly string[]): string[];
}

export interface Verdict {
  expectation: string;
  pass: boolean;
  expected: string;
  actual: string;
}

/** The q-quantile (0..1) of values, nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

const latencyOf = (r: MessageRecord) => (r.receivedAt as number) - r.sentAt;

export function delivered(records: readonly MessageRecord[]): MessageRecord[] {
  return records.filter((r) => r.receivedAt !== undefined);
}

function metricVerdicts(spec: ExpectSpec, f: Pick<RunFacts, 'metricsBefore' | 'metricsAfter' | 'resolve'>): Verdict[] {
  return (spec.metrics ?? []).map((m) => {
    const ids = f.resolve(m.on);
    const labels = m.labels
      ? `{${Object.entries(m.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}}`
      : '';
    const name = `${m.metric}${labels} on ${m.on.join(', ')}`;
    let before = 0;
    let after = 0;
    const silent: string[] = [];
    for (const id of ids) {
      const b = f.metricsBefore.get(id);
      const a = f.metricsAfter.get(id);
      if (!b || !a) {
        silent.push(id);
        continue;
      }
      before += sumMetric(b, m.metric, m.labels);
      after += sumMetric(a, m.metric, m.labels);
    }
    const expected = m.change === 'rise' ? 'rises' : 'stays flat';
    if (silent.length === ids.length)
      return { expectation: name, pass: false, expected, actual: `no samples (${ids.join(', ')} did not answer)` };
    const pass = m.change === 'rise' ? after > before : after === before;
    const note = silent.length ? ` (${silent.join(', ')} did not answer)` : '';
    return { expectation: name, pass, expected, actual: `${before} → ${after}${note}` };
  });
}

/**
 * True while a counter the scenario expects to rise has not risen yet. Some rises come late by
 * design: a node closes its link to a hop that left the document (counting what it had queued as
 * `departed`) only after the document's grace, one epoch later (docs/directory.md §6).
 */
export function risesPending(
  spec: ExpectSpec,
  f: Pick<RunFacts, 'metricsBefore' | 'metricsAfter' | 'resolve'>,
): boolean {
  const rises = { ...spec, metrics: (spec.metrics ?? []).filter((m) => m.change === 'rise') };
  return metricVerdicts(rises, f).some((v) => !v.pass);
}

function activeSetVerdicts(spec: ExpectSpec, f: RunFacts): Verdict[] {
  const out: Verdict[] = [];
  for (const o of spec.outOfActiveSet ?? []) {
    for (const id of f.resolve(o.node)) {
      const step = f.steps.find((s) => s.targets.includes(id) && s.epoch !== undefined);
      const from = step?.epoch ?? f.documents[0]?.epoch;
      const name = `${id} out of the active set`;
      if (from === undefined) {
        out.push({
          expectation: name,
          pass: false,
          expected: `within ${o.withinEpochs} epochs`,
          actual: 'no epoch seen',
        });
        continue;
      }
      const by = from + o.withinEpochs;
      const out1 = f.documents.find((d) => d.epoch > from && d.epoch <= by && !d.active.includes(id));
      out.push({
        expectation: name,
        pass: out1 !== undefined,
        expected: `by epoch ${by} (fault in ${from})`,
        actual: out1
          ? `out in epoch ${out1.epoch}`
          : `still active through epoch ${Math.min(by, f.documents.at(-1)?.epoch ?? from)}`,
      });
    }
  }
  return out;
}

export function evaluate(spec: ExpectSpec, f: RunFacts): Verdict[] {
  const verdicts: Verdict[] = [];
  const sent = f.records.length;
  const got = delivered(f.records);
  if (spec.exactlyOnce) {
    const missing = f.records.filter((r) => r.deliveries === 0).length;
    const twice = f.records.filter((r) => r.deliveries > 1).length;
    const chainExtra = f.chainCount !== undefined ? f.chainCount - got.length : 0;
    verdicts.push({
      expectation: 'every message delivered exactly once',
      pass: sent > 0 && missing === 0 && twice === 0 && chainExtra === 0,
      expected: `${sent} delivered once`,
      actual: `${sent - missing} delivered, ${missing} missing, ${twice} duplicated${f.chainCount !== undefined ? `, chain counted ${f.chainCount}` : ''}`,
    });
  }
  if (spec.noDuplicates) {
    const twice = f.records.filter((r) => r.deliveries > 1).length;
    verdicts.push({
      expectation: 'no message delivered twice',
      pass: twice === 0,
      expected: '0',
      actual: String(twice),
    });
  }
  if (spec.deliveryRatio !== undefined) {
    const ratio = sent ? got.length / sent : 0;
    verdicts.push({
      expectation: 'delivery ratio',
      pass: sent > 0 && ratio >= spec.deliveryRatio,
      expected: `≥ ${spec.deliveryRatio}`,
      actual: `${ratio.toFixed(3)} (${got.length}/${sent})`,
    });
  }
  for (const [q, bound] of [
    [0.5, spec.p50Latency],
    [0.95, spec.p95Latency],
  ] as const) {
    if (bound === undefined) continue;
    const v = quantile(got.map(latencyOf), q);
    verdicts.push({
      expectation: `p${q * 100} latency`,
      pass: Number.isFinite(v) && v <= bound,
      expected: `≤ ${bound} ms`,
      actual: Number.isFinite(v) ? `${Math.round(v)} ms` : 'nothing delivered',
    });
  }
  verdicts.push(...metricVerdicts(spec, f), ...activeSetVerdicts(spec, f));
  return verdicts;
}
