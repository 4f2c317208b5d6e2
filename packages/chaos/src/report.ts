/** The run's verdicts as a table for people and a JSON document for machines. */
import type { StepRecord, Verdict } from './expectations.js';
import type { MessageRecord } from './traffic.js';

export interface ChaosReport {
  scenario: string;
  file?: string;
  pass: boolean;
  startedAt: number;
  /** Traffic duration and whole run (network start included), ms. */
  trafficMs: number;
  wallMs: number;
  verdicts: Verdict[];
  steps: StepRecord[];
  documents: { epoch: number; seenAt: number; active: string[] }[];
  messages: MessageRecord[];
  chainCount?: number;
  /** Per node, drops counted during the run by reason (non-zero only): what to write expectations on. */
  drops: Record<string, Record<string, number>>;
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map((v) => [v.pass ? 'PASS' : 'FAIL', v.expectation, v.expected, v.actual]);
  const head = ['', 'expectation', 'expected', 'actual'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function stepTable(steps: readonly StepRecord[]): string {
  return steps
    .map(
      (s) =>
        `  ${(s.startedMs / 1000).toFixed(1).padStart(6)} s  ${s.label}${s.targets.length ? ` → ${s.targets.join(', ')}` : ''}${
          s.endMs !== undefined ? ` (until ${(s.endMs / 1000).toFixed(1)} s)` : ''
        }${s.epoch !== undefined ? ` [epoch ${s.epoch}]` : ''}${s.error ? `  FAILED: ${s.error}` : ''}`,
    )
    .join('\n');
}
