/**
 * `mixnet bench --suite heal` (issue 13): the self-healing experiment on a live testnet (mixes, the
 * sender's gateway, then the directory killed while messages flow; testnet/src/heal.ts), written as
 * a timeline (heal-timeline.json) and drawn as heal-timeline.svg: each message's latency against
 * its send time, with the kills, restarts and epoch boundaries marked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HealTimeline, healSummary, runHealScenario } from '@mixnet/testnet';
import { type Marker, timelineSvg } from './plot.js';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';

export interface HealSuiteOptions {
  out: string;
  epochMs?: number;
  phaseMessages?: number;
  log?: (line: string) => void;
}

/** The plot: one colour per phase kind (before, during, after a fault), markers for events. */
export function healTimelineSvg(t: HealTimeline): string {
  const s = (at: number) => (at - t.startedAt) / 1000;
  const groups = new Map<string, [number, number][]>();
  for (const m of t.messages) {
    const kind = m.phase.split(':')[1] ?? m.phase;
    const label =
      m.receivedAt === undefined
        ? 'lost'
        : `${kind === 'fault' ? 'during a fault' : kind === 'pre' ? 'before' : 'after'}`;
    const y = m.receivedAt === undefined ? Number.POSITIVE_INFINITY : m.receivedAt - m.sentAt;
    groups.set(label, [...(groups.get(label) ?? []), [s(m.sentAt), y]]);
  }
  const order = ['before', 'during a fault', 'after', 'lost'];
  const series = order.filter((l) => groups.has(l)).map((label) => ({ label, points: groups.get(label) ?? [] }));
  const markers: Marker[] = t.documents.map((d) => ({ x: s(d.validFrom), color: '#ccc', dashed: true }));
  for (const f of t.faults) {
    markers.push({ x: s(f.killedAt), label: `kill ${f.kind}`, color: '#d62728' });
    if (f.restartedAt) markers.push({ x: s(f.restartedAt), label: 'restart', color: '#2ca02c' });
    if (f.healedAt) markers.push({ x: s(f.healedAt), label: `epoch ${f.healedEpoch}`, color: '#2ca02c', dashed: true });
  }
  // Latency axis up to 4× the slowest pre-fault median: retransmitted messages sit on the top edge.
  const pre = healSummary(t).faults.map((f) => f.preMedianMs);
  const yMax = Math.max(50, ...pre.filter(Number.isFinite)) * 4;
  return timelineSvg(
    `Recovery timeline: epochs of ${t.epochMs / 1000} s (dashed), μ = ${t.mu} ms`,
    'send time (s)',
    'one-way latency (ms)',
    series.filter((x) => x.points.length > 0),
    markers.filter((m) => m.x >= 0),
    yMax,
  );
}

export async function runHealSuite(o: HealSuiteOptions): Promise<{ timeline: HealTimeline; report: BenchReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-heal-bench-'));
  let timeline: HealTimeline;
  try {
    timeline = await runHealScenario({
      dir,
      ...(o.epochMs ? { epochMs: o.epochMs } : {}),
      ...(o.phaseMessages ? { phaseMessages: o.phaseMessages } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'heal-timeline.json'), `${JSON.stringify(timeline)}\n`);
  writeFileSync(join(o.out, 'heal-timeline.svg'), healTimelineSvg(timeline));
  o.log?.(`wrote ${join(o.out, 'heal-timeline.json')} and heal-timeline.svg`);
  const summary = healSummary(timeline);
  const entries: BenchEntry[] = [{ name: 'heal/ready', unit: 's', value: round(timeline.readyMs / 1000) }];
  for (const f of summary.faults) {
    const tag = `heal/${f.kind}`;
    if (f.epochsToHeal !== undefined)
      entries.push({
        name: `${tag}: epochs to heal`,
        unit: 'epochs',
        value: f.epochsToHeal,
        extra: f.targets.join(', '),
      });
    entries.push(
      { name: `${tag}: latency p50 before`, unit: 'ms', value: round(f.preMedianMs) },
      { name: `${tag}: latency p50 after`, unit: 'ms', value: round(f.postMedianMs), extra: `ratio ${round(f.ratio)}` },
      {
        name: `${tag}: messages lost`,
        unit: 'messages',
        value: f.lost,
        extra: `${f.duplicated} duplicated of ${f.messages}`,
      },
    );
  }
  return { timeline, report: { suite: 'heal', date: new Date().toISOString(), machine: machineInfo(), entries } };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
