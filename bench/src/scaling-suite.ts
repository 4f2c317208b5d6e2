/**
 * `mixnet bench --suite scaling` (issue 16 #3): the curves behind "more traffic, less delay" and
 * "linear scalability", on one machine.
 *   ramp    a traced auto-sized testnet whose clients ramp up (testnet/src/ramp.ts): per epoch the
 *           offered traffic, the width and μ the directory chose, H_out measured, p50/p95 latency;
 *   load    offered load → p50/p99 latency and loss on a 3 × 1 and a 3 × 2 testnet, until saturation;
 *   cpu     relay CPU per packet across the whole network as the width grows (1, 2, 4, 8 per layer).
 * The shaping of results (saturation, entries, plots) is pure and tested in scaling-suite.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quantileSorted } from '@mixnet/analyze';
import { downTestnet, type RampEpoch, runRamp, upTestnet } from '@mixnet/testnet';
import {
  type LoadClients,
  loadClients,
  type OfferResult,
  offerLoad,
  type RelayIdle,
  relayIdle,
} from './offered-load.js';
import { xySvg } from './plot.js';
import type { BenchEntry, BenchReport } from './results.js';
import { machineInfo } from './results.js';

export interface RampPoint {
  epoch: number;
  clients: number;
  offeredPerSecond: number;
  /** Offered in the epoch before: what the directory sized this epoch from. */
  offeredBefore: number;
  width: number;
  muMs: number;
  hOut: number;
  hOutTargets: number;
  p50: number;
  p95: number;
}

export interface LoadPoint {
  offered: number;
  throughput: number;
  p50: number;
  p99: number;
  /** Share of sent messages not delivered by the end of the drain. */
  loss: number;
  generatorCpuPercent: number;
}

export interface LoadCurve {
  width: number;
  points: LoadPoint[];
  /** The largest delivered rate at which loss stays under 5 % and p99 under a second. */
  saturation: number;
}

export interface CpuPoint {
  width: number;
  /** Relay CPU per packet the gateways finished, ms. */
  cpuPerPacketMs: number;
  /**
   * The same for the offered packets alone: the relays' idle CPU and the cover packets finished
   * meanwhile (measured just before, same processes) taken out. Flat across widths means each
   * added node brings its full capacity; the rest is the nodes' fixed cost and the cover.
   */
  marginalCpuPerPacketMs: number;
  /** Relay processes' idle CPU, % of one core, all together. */
  idleCpuPercent: number;
  packets: number;
  relayProcesses: number;
}

export interface ScalingResult {
  target: number;
  ramp: RampPoint[];
  load: LoadCurve[];
  cpu: CpuPoint[];
}

export interface ScalingSuiteOptions {
  quick?: boolean;
  /** Where the SVGs go. */
  out: string;
  log?: (line: string) => void;
}

const MU_MS = 5;
const SATURATED = { loss: 0.05, p99Ms: 1000 };

export function rampPoints(epochs: readonly RampEpoch[], minTargets = 20): RampPoint[] {
  return epochs
    .filter((e) => e.hOut.n >= minTargets && e.latency.n > 0)
    .map((e) => ({
      epoch: e.epoch,
      clients: e.clients,
      offeredPerSecond: Math.round(e.offeredPerSecond),
      offeredBefore: Math.round(e.offeredBefore),
      width: e.width,
      muMs: e.muMs,
      hOut: round(e.hOut.mean),
      hOutTargets: e.hOut.n,
      p50: round(e.latency.p50),
      p95: round(e.latency.p95),
    }));
}

/** A load step's figures from its latencies (sorted) and counts. */
export function loadPoint(
  r: { offered: number; throughput: number; sent: number; delivered: number; latencies: readonly number[] },
  generatorCpuPercent = 0,
): LoadPoint {
  return {
    offered: r.offered,
    throughput: round(r.throughput),
    p50: round(quantileSorted(r.latencies, 0.5)),
    p99: round(quantileSorted(r.latencies, 0.99)),
    loss: r.sent > 0 ? round(1 - r.delivered / r.sent, 4) : 0,
    generatorCpuPercent: round(generatorCpuPercent),
  };
}

export const saturated = (p: LoadPoint) => p.loss > SATURATED.loss || !(p.p99 <= SATURATED.p99Ms);

/** The saturation throughput: the best delivered rate among steps that are not saturated (0 if none). */
export function saturation(points: readonly LoadPoint[]): number {
  return Math.max(0, ...points.filter((p) => !saturated(p)).map((p) => p.throughput));
}

export function scalingEntries(r: ScalingResult): BenchEntry[] {
  const entries: BenchEntry[] = [];
  for (const p of r.ramp)
    entries.push(
      {
        name: `ramp/epoch ${p.epoch}: H_out`,
        unit: 'bits',
        value: p.hOut,
        extra: `${p.clients} clients, ${p.offeredPerSecond}/s offered (${p.offeredBefore}/s the epoch before), width ${p.width}, μ ${p.muMs} ms, target ${r.target}`,
      },
      { name: `ramp/epoch ${p.epoch}: latency p50`, unit: 'ms', value: p.p50, extra: `p95 ${p.p95} ms` },
    );
  for (const c of r.load) {
    entries.push({
      name: `load/3x${c.width}: saturation throughput`,
      unit: 'msg/s',
      value: c.saturation,
      extra: `loss ≤ ${SATURATED.loss * 100} % and p99 ≤ ${SATURATED.p99Ms} ms, μ ${MU_MS} ms`,
    });
    for (const p of c.points)
      entries.push({
        name: `load/3x${c.width} @${p.offered}/s: latency p50`,
        unit: 'ms',
        value: p.p50,
        extra: `p99 ${p.p99} ms, loss ${round(p.loss * 100, 1)} %, delivered ${p.throughput}/s, generator ${p.generatorCpuPercent} % CPU`,
      });
  }
  for (const p of r.cpu)
    entries.push({
      name: `cpu/3x${p.width}: relay CPU per packet`,
      unit: 'ms',
      value: p.cpuPerPacketMs,
      extra: `${p.packets} packets, ${p.relayProcesses} relay processes, idle ${p.idleCpuPercent} % of a core`,
    });
  for (const p of r.cpu)
    entries.push({
      name: `cpu/3x${p.width}: relay CPU per packet, idle taken out`,
      unit: 'ms',
      value: p.marginalCpuPerPacketMs,
      extra: `offered packets alone; the relays' idle CPU (${p.idleCpuPercent} % of a core, mostly cover) and its packets taken out`,
    });
  return entries;
}

/** The suite's plots, by file name. */
export function scalingSvgs(r: ScalingResult): Record<string, string> {
  const svgs: Record<string, string> = {};
  if (r.ramp.length > 0) {
    // x: the traffic the directory measured when it sized the epoch (the epoch before's)
    const by = (f: (p: RampPoint) => number) => r.ramp.map((p) => [p.offeredBefore, f(p)] as const);
    svgs['scaling-ramp-latency.svg'] = xySvg(
      'More traffic, less delay: the auto-sized active set, one point per epoch',
      'client traffic measured the epoch before (packets/s)',
      'ms',
      [
        { label: 'latency p50', points: by((p) => p.p50) },
        { label: 'latency p95', points: by((p) => p.p95) },
        { label: 'μ published', points: by((p) => p.muMs) },
      ],
    );
    svgs['scaling-ramp-anonymity.svg'] = xySvg(
      `Anonymity held: measured H_out per epoch (target ${r.target} bits)`,
      'client traffic measured the epoch before (packets/s)',
      'bits / mixes per layer',
      [
        { label: 'H_out measured', points: by((p) => p.hOut) },
        { label: `target ${r.target} bits`, points: by(() => r.target) },
        { label: 'width chosen', points: by((p) => p.width) },
      ],
    );
  }
  if (r.load.length > 0) {
    svgs['scaling-load-latency.svg'] = xySvg(
      `Offered load → latency (μ ${MU_MS} ms, cover off)`,
      'offered load (messages/s)',
      'latency (ms)',
      r.load.flatMap((c) => [
        { label: `3×${c.width} p50`, points: c.points.map((p) => [p.offered, p.p50] as const) },
        { label: `3×${c.width} p99`, points: c.points.map((p) => [p.offered, Math.min(p.p99, 5000)] as const) },
      ]),
    );
    svgs['scaling-load-loss.svg'] = xySvg(
      'Offered load → delivered rate and loss',
      'offered load (messages/s)',
      'messages/s · loss %',
      r.load.flatMap((c) => [
        { label: `3×${c.width} delivered/s`, points: c.points.map((p) => [p.offered, p.throughput] as const) },
        { label: `3×${c.width} loss %`, points: c.points.map((p) => [p.offered, p.loss * 100] as const) },
      ]),
    );
  }
  if (r.cpu.length > 0)
    svgs['scaling-cpu-per-packet.svg'] = xySvg(
      'Relay CPU per packet across the network as the width grows',
      'mixes per layer',
      'ms of CPU per packet',
      [
        { label: 'all relays', points: r.cpu.map((p) => [p.width, p.cpuPerPacketMs] as const) },
        { label: 'idle taken out', points: r.cpu.map((p) => [p.width, p.marginalCpuPerPacketMs] as const) },
      ],
    );
  return svgs;
}

async function withTestnet<T>(width: number, f: (state: Awaited<ReturnType<typeof upTestnet>>) => Promise<T>) {
  const dir = mkdtempSync(join(tmpdir(), `mixnet-scaling-${width}-`));
  try {
    const state = await upTestnet({
      dir,
      layers: 3,
      nodesPerLayer: width,
      mu: MU_MS,
      chain: 'none',
      logLevel: 'warn',
      skipSmoke: true,
      directory: false,
      // one relay per process: each node's CPU is its own
      nodesPerProcess: 1,
      timeoutMs: 60_000,
    });
    return await f(state);
  } finally {
    await downTestnet(dir).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadCurve(width: number, rates: readonly number[], seconds: number, log: (l: string) => void) {
  return withTestnet(width, async (state) => {
    let clients: LoadClients | undefined;
    const points: LoadPoint[] = [];
    try {
      clients = await loadClients(state);
      for (const rate of rates) {
        const r = await offerLoad(state, clients, { rate, seconds });
        const p = loadPoint(r, r.generatorCpuPercent);
        log(`scaling: load 3×${width} @${rate}/s → ${JSON.stringify(p)}`);
        points.push(p);
        // Past saturation by a margin: the curve has its knee.
        if (p.loss > 0.5 || p.p50 > 3000) break;
      }
    } finally {
      await clients?.close();
    }
    return { width, points, saturation: saturation(points) };
  });
}

/**
 * Relay CPU per finished packet, whole, and for the offered packets alone: the idle window's CPU
 * and packets (the network's own cover, at the same rate during the load) taken out of both.
 */
export function cpuPerPacket(
  r: Pick<OfferResult, 'relayCpuSeconds' | 'windowSeconds' | 'relayPackets'>,
  idle: RelayIdle,
): Pick<CpuPoint, 'cpuPerPacketMs' | 'marginalCpuPerPacketMs' | 'idleCpuPercent'> {
  const cpu = Math.max(0, r.relayCpuSeconds - (idle.cpuPercent / 100) * r.windowSeconds);
  const packets = r.relayPackets - idle.packetsPerSecond * r.windowSeconds;
  return {
    cpuPerPacketMs: round((r.relayCpuSeconds / Math.max(1, r.relayPackets)) * 1000, 3),
    marginalCpuPerPacketMs: round((cpu / Math.max(1, packets)) * 1000, 3),
    idleCpuPercent: round(idle.cpuPercent, 1),
  };
}

export async function cpuPoint(width: number, rate: number, seconds: number, log: (l: string) => void) {
  return withTestnet(width, async (state) => {
    const clients = await loadClients(state);
    try {
      const idle = await relayIdle(state, seconds);
      const r = await offerLoad(state, clients, { rate, seconds });
      const p: CpuPoint = {
        width,
        ...cpuPerPacket(r, idle),
        packets: r.relayPackets,
        relayProcesses: state.processes.filter((x) => x.role === 'mix' || x.role === 'gateway').length,
      };
      log(`scaling: cpu 3×${width} → ${JSON.stringify(p)}`);
      return p;
    } finally {
      await clients.close();
    }
  });
}

export async function runScalingSuite(o: ScalingSuiteOptions): Promise<{ result: ScalingResult; report: BenchReport }> {
  const log = o.log ?? (() => {});
  const quick = o.quick === true;
  const target = 5;
  log('scaling: ramp (auto-sized, traced)…');
  const ramp = await runRamp({
    layers: 3,
    steps: quick ? [2, 6] : [2, 4, 8, 16],
    epochsPerStep: 2,
    epochMs: 5_000,
    anonymityTargetBits: target,
    maxWidth: quick ? 1 : 2,
    mu: { minMs: 1, maxMs: 500 },
    sendGapMs: 100,
    loopGapMs: 1000,
    realRate: 3,
    log: (l) => log(`scaling: ramp ${l}`),
  });
  const result: ScalingResult = { target, ramp: rampPoints(ramp.epochs), load: [], cpu: [] };
  const rates = quick ? [50, 200, 800] : [50, 100, 200, 400, 800, 1600, 3200];
  for (const width of [1, 2]) result.load.push(await loadCurve(width, rates, quick ? 3 : 6, log));
  for (const width of quick ? [1, 2] : [1, 2, 4, 8]) result.cpu.push(await cpuPoint(width, 150, quick ? 4 : 8, log));
  for (const [name, svg] of Object.entries(scalingSvgs(result))) {
    const file = join(o.out, name);
    writeFileSync(file, svg);
    log(`wrote ${file}`);
  }
  return {
    result,
    report: {
      suite: 'scaling',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'as named',
      entries: scalingEntries(result),
    },
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
