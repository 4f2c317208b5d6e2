/**
 * End to end (issue #7): a process-runtime testnet per configuration (layers × μ × cover), two
 * clients in this process. Latency of single-packet messages against the Loopix model (the sum of
 * the per-hop Exp(μ) delays, plus the Poisson send-queue wait with cover on, plus the constant
 * measured at μ = 0); throughput of a burst; CPU seconds per delivered message (every node process
 * and both clients) against create + hops × process measured in the same run, and with cover off
 * where that CPU goes (e2e-cost.ts) against the issue 16 goal of 3 ×.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MixnetClient } from '@mixnet/client';
import { clientNetwork, downTestnet, type TestnetState, upTestnet } from '@mixnet/testnet';
import {
  BREAKDOWN_LABELS,
  type CostBreakdown,
  type CpuSample,
  costBreakdown,
  cpuDelta,
  GOAL_RATIO,
  measureUnitCosts,
  type Party,
  sampleCpu,
  type UnitCosts,
} from './e2e-cost.js';
import type { BenchEntry, BenchReport } from './results.js';
import { machineInfo } from './results.js';
import { quantile, theoreticalLatency } from './stats.js';

export interface E2eSuiteOptions {
  layers?: number[];
  mus?: number[];
  covers?: boolean[];
  /** Messages per latency run. */
  messages?: number;
  /** Messages in the throughput burst. */
  burst?: number;
  log?: (line: string) => void;
}

export interface E2eRun {
  layers: number;
  mu: number;
  cover: boolean;
  latencies: number[];
  p50: number;
  p95: number;
  p99: number;
  theory: { p50: number; p95: number; p99: number };
  throughput: number;
  cpuPerMessageMs: number;
  /** create + hops × process, ms, timed in this process in the same run. */
  referenceMs: number;
  unit: UnitCosts;
  /** Where cpuPerMessageMs goes (ms per delivered message); `total` is cpuPerMessageMs. */
  breakdown: CostBreakdown;
  /**
   * Packets the burst took: data (retransmissions included) and acks; `duplicates` arrived twice at
   * the receiver (sent again although the first got through: its ack was late or lost).
   */
  packets: { delivered: number; data: number; acks: number; retransmissions: number; duplicates: number };
}

const SEND_GAP_MS = 20;

async function clientPair(state: TestnetState, mu: number, cover: boolean): Promise<[MixnetClient, MixnetClient]> {
  const traffic = cover ? { mu, sendGapMs: SEND_GAP_MS } : { mu, cover: false, sendGapMs: 0 };
  return Promise.all([
    createClient({ ...clientNetwork(state), traffic }),
    createClient({ ...clientNetwork(state), traffic }),
  ]) as Promise<[MixnetClient, MixnetClient]>;
}

/** Idle CPU is sampled this long before and after the burst, after this long for traffic to settle. */
const IDLE_SETTLE_MS = 1_000;
const IDLE_SAMPLE_MS = 2_000;

async function runOne(
  layers: number,
  mu: number,
  cover: boolean,
  opts: Required<Omit<E2eSuiteOptions, 'layers' | 'mus' | 'covers' | 'log'>>,
  constantMs: number,
): Promise<E2eRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-bench-e2e-'));
  const state = await upTestnet({ dir, layers, mu, chain: 'none', logLevel: 'warn', skipSmoke: true, workers: 1 });
  const [alice, bob] = await clientPair(state, mu, cover);
  try {
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let received = 0;
    bob.onMessage(({ data }) => {
      received++;
      const seq = new DataView(data.buffer, data.byteOffset).getUint32(0);
      const t = sentAt.get(seq);
      if (t !== undefined) latencies.push(performance.now() - t);
    });
    const message = (seq: number) => {
      const m = new Uint8Array(1000);
      new DataView(m.buffer).setUint32(0, seq);
      return m;
    };
    // Latency: messages spaced out so no queue builds up (a Poisson stream of its own).
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < opts.messages; i++) {
      sentAt.set(i, performance.now());
      pending.push(alice.send(bob.address, message(i)));
      await new Promise((r) => setTimeout(r, cover ? SEND_GAP_MS * 2 : 5));
    }
    await Promise.all(pending);
    const waitFor = async (n: number, ms: number) => {
      const deadline = performance.now() + ms;
      while (received < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    await waitFor(opts.messages, 10_000);

    // Every process's idle rate (no client traffic) before and after the burst, and the burst with
    // every process's CPU counted.
    const parties = partiesOf(state);
    const idleBefore = await idleRate(parties);
    const sent0 = {
      data: alice.stats().sent.real,
      acks: bob.stats().sent.acks,
      re: alice.stats().retransmissions,
      dup: bob.stats().duplicates,
    };
    const cpu0 = sampleCpu(parties);
    const t0 = performance.now();
    const base = received;
    const burst = cover ? Math.min(opts.burst, 150) : opts.burst;
    await Promise.all(Array.from({ length: burst }, (_, i) => alice.send(bob.address, message(1_000_000 + i))));
    await waitFor(base + burst, 30_000);
    const seconds = (performance.now() - t0) / 1000;
    const used = cpuDelta(cpu0, sampleCpu(parties));
    const cpu = used.clients + used.relayMain + used.relayThreads + used.others;
    const delivered = received - base;
    const idleAfter = await idleRate(parties);
    const idle = {
      clients: (idleBefore.clients + idleAfter.clients) / 2,
      relayMain: (idleBefore.relayMain + idleAfter.relayMain) / 2,
      relayThreads: (idleBefore.relayThreads + idleAfter.relayThreads) / 2,
      others: (idleBefore.others + idleAfter.others) / 2,
    };
    const packets = {
      delivered,
      data: alice.stats().sent.real - sent0.data,
      acks: bob.stats().sent.acks - sent0.acks,
      retransmissions: alice.stats().retransmissions - sent0.re,
      duplicates: bob.stats().duplicates - sent0.dup,
    };
    const unit = measureUnitCosts(layers + 1);
    const breakdown = costBreakdown({
      hops: layers + 1,
      unit,
      delivered,
      seconds,
      packets,
      burst: used,
      idleRate: idle,
    });

    latencies.sort((a, b) => a - b);
    const theory = theoreticalLatency(layers, mu, cover ? SEND_GAP_MS : 0).map((t) => t + constantMs);
    return {
      layers,
      mu,
      cover,
      latencies,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
      theory: { p50: quantile(theory, 0.5), p95: quantile(theory, 0.95), p99: quantile(theory, 0.99) },
      throughput: delivered / seconds,
      cpuPerMessageMs: (cpu / Math.max(1, delivered)) * 1000,
      referenceMs: unit.createMs + (layers + 1) * unit.processMs,
      unit,
      breakdown,
      packets,
    };
  } finally {
    await Promise.all([alice.close({ flushMs: 0 }), bob.close({ flushMs: 0 })]);
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runE2eSuite(opts: E2eSuiteOptions = {}): Promise<{ runs: E2eRun[]; report: BenchReport }> {
  const layersList = opts.layers ?? [1, 3, 4];
  const mus = opts.mus ?? [0, 15];
  const covers = opts.covers ?? [false, true];
  const o = { messages: opts.messages ?? 200, burst: opts.burst ?? 1000 };
  const log = opts.log ?? (() => {});
  const runs: E2eRun[] = [];
  const entries: BenchEntry[] = [];
  for (const layers of layersList) {
    // μ = 0 without cover first: its median is the constant c (processing, links) of this depth.
    let constantMs = 0;
    for (const mu of [...mus].sort((a, b) => a - b)) {
      for (const cover of covers) {
        log(`e2e: ${layers} layers, μ = ${mu} ms, cover ${cover ? 'on' : 'off'}…`);
        const run = await runOne(layers, mu, cover, o, mu === 0 ? 0 : constantMs);
        if (mu === 0 && !cover) constantMs = run.p50;
        runs.push(run);
        const tag = `e2e/${layers}L μ${mu} ${cover ? 'cover' : 'no-cover'}`;
        entries.push(
          { name: `${tag}: latency p50`, unit: 'ms', value: round(run.p50), extra: `theory ${round(run.theory.p50)}` },
          { name: `${tag}: latency p95`, unit: 'ms', value: round(run.p95), extra: `theory ${round(run.theory.p95)}` },
          { name: `${tag}: latency p99`, unit: 'ms', value: round(run.p99), extra: `theory ${round(run.theory.p99)}` },
          { name: `${tag}: throughput`, unit: 'msg/s', value: round(run.throughput) },
          {
            name: `${tag}: CPU per delivered message`,
            unit: 'ms',
            value: round(run.cpuPerMessageMs),
            extra: `create + ${layers + 1} × process = ${round(run.referenceMs)} ms (${round(run.cpuPerMessageMs / run.referenceMs)}×)`,
          },
          ...(cover ? [] : costEntries(tag, run)),
        );
        if (!cover) log(formatBreakdown(run));
      }
    }
  }
  return {
    runs,
    report: {
      suite: 'e2e',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'as named (pXX = percentile)',
      entries,
    },
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** CPU seconds per second of each party, sampled once the traffic before has settled. */
async function idleRate(parties: Party[]): Promise<CpuSample> {
  await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
  const before = sampleCpu(parties);
  const t = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
  const used = cpuDelta(before, sampleCpu(parties));
  const seconds = (performance.now() - t) / 1000;
  return {
    clients: used.clients / seconds,
    relayMain: used.relayMain / seconds,
    relayThreads: used.relayThreads / seconds,
    others: used.others / seconds,
  };
}

/** Each process once (a node host holds several relays), and whether it relays. */
function partiesOf(state: TestnetState): Party[] {
  const byPid = new Map<number, Party>();
  for (const p of state.processes)
    if (p.pid) byPid.set(p.pid, { pid: p.pid, relay: p.role === 'mix' || p.role === 'gateway' });
  return [...byPid.values()];
}

/** The cover-off breakdown as entries: each category in ms per message, and the ratios to the goal. */
function costEntries(tag: string, run: E2eRun): BenchEntry[] {
  const b = run.breakdown;
  const ref = run.referenceMs;
  const withoutBackground = b.total - b.background;
  return [
    ...Object.entries(BREAKDOWN_LABELS).map(([k, label]) => ({
      name: `${tag}: cost ${k}`,
      unit: 'ms',
      value: round(b[k as keyof CostBreakdown]),
      extra: label,
    })),
    {
      name: `${tag}: CPU ÷ (create + hops × process)`,
      unit: 'ratio',
      value: round(b.total / ref),
      extra: `goal ≤ ${GOAL_RATIO}; every process's CPU, idle included`,
    },
    {
      name: `${tag}: CPU beyond idle ÷ (create + hops × process)`,
      unit: 'ratio',
      value: round(withoutBackground / ref),
      extra: `goal ≤ ${GOAL_RATIO}; the burst's own CPU (idle rate × duration taken out)`,
    },
  ];
}

/** The breakdown as people read it: one line per category, ms per message and × the reference. */
export function formatBreakdown(run: E2eRun): string {
  const b = run.breakdown;
  const ref = run.referenceMs;
  const p = run.packets;
  const lines = [
    `e2e ${run.layers}L μ${run.mu}: CPU per delivered message ${round(b.total)} ms = ${round(b.total / ref)} × (create + ${run.layers + 1} × process = ${round(ref)} ms); beyond idle ${round((b.total - b.background) / ref)} ×, goal ≤ ${GOAL_RATIO} ×`,
    `  burst: ${p.delivered} delivered, ${p.data} data packets (${p.retransmissions} sent again, ${p.duplicates} of them arrived twice), ${p.acks} acks`,
  ];
  for (const [k, label] of Object.entries(BREAKDOWN_LABELS)) {
    const v = b[k as keyof CostBreakdown];
    lines.push(
      `  ${round(v).toFixed(2).padStart(7)} ms  ${round(v / ref)
        .toFixed(2)
        .padStart(5)} ×  ${label}`,
    );
  }
  return lines.join('\n');
}
