/**
 * The run's timeline as SVG (bench's plot.ts, not a copy): each message's latency against its
 * send time, undelivered ones on the top edge, every fault as a labelled line or shaded interval.
 */
import { type Marker, timelineSvg, type XySeries } from '@mixnet/bench/plot';
import type { StepRecord } from './expectations.js';
import { quantile } from './expectations.js';
import type { MessageRecord } from './traffic.js';

const FAULT_COLORS: Record<string, string> = {
  kill: '#d62728',
  stop: '#d62728',
  restart: '#9467bd',
  start: '#2ca02c',
  pause: '#ff7f0e',
  resume: '#2ca02c',
  outage: '#8c564b',
  partition: '#e377c2',
  clear: '#7f7f7f',
};

export function timelineMarkers(steps: readonly StepRecord[]): Marker[] {
  return steps.map((s) => ({
    x: s.startedMs / 1000,
    label: s.error ? `${s.label} (failed)` : s.label,
    color: FAULT_COLORS[s.action] ?? '#17becf',
    ...(s.endMs !== undefined ? { until: s.endMs / 1000 } : {}),
  }));
}

export function scenarioSvg(
  name: string,
  startedAt: number,
  records: readonly MessageRecord[],
  steps: readonly StepRecord[],
): string {
  const got = records.filter((r) => r.receivedAt !== undefined);
  const lat = got.map((r) => (r.receivedAt as number) - r.sentAt);
  // The top: a little above the slowest delivered message, at least 1 s; lost ones sit on it.
  const top = Math.max(1_000, quantile(lat, 1) || 0) * 1.1;
  const series: XySeries[] = [
    {
      label: 'delivered',
      points: got.map((r) => [(r.sentAt - startedAt) / 1000, (r.receivedAt as number) - r.sentAt]),
    },
  ];
  const lost = records.filter((r) => r.receivedAt === undefined);
  if (lost.length)
    series.push({ label: 'not delivered', points: lost.map((r) => [(r.sentAt - startedAt) / 1000, top]) });
  return timelineSvg(
    `chaos: ${name}`,
    'send time (s from the traffic start)',
    'one-way latency (ms)',
    series,
    timelineMarkers(steps),
    top,
  );
}
