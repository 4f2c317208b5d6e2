/**
 * End to end (issue #7): a process-runtime testnet per configuration (layers × μ × cover), two
 * clients in this process. Latency of single-packet messages against the Loopix model (the sum of
 * the per-hop Exp(μ) delays, plus the Poisson send-queue wait with cover on, plus the constant
 * measured at μ = 0); throughput of a burst; CPU seconds per delivered message (every node process
 * and both clients) against create + hops × process measured in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type MixnetClient } from '@mixnet/client';
import { createPacket, encodeNodeAddress, generateKeyPair, processPacket } from '@mixnet/sphinx';
import { clientNetwork, downTestnet, type TestnetState, upTestnet } from '@mixnet/testnet';
import type { BenchEntry, BenchReport } from './results.js';
import { machineInfo } from './results.js';
import { processCpuSeconds, quantile, theoreticalLatency } from './stats.js';

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
  referenceMs: number;
}

const SEND_GAP_MS = 20;

async function clientPair(state: TestnetState, mu: number, cover: boolean): Promise<[MixnetClient, MixnetClient]> {
  const traffic = cover ? { mu, sendGapMs: SEND_GAP_MS } : { mu, cover: false, sendGapMs: 0 };
  return Promise.all([
    createClient({ ...clientNetwork(state), traffic }),
    createClient({ ...clientNetwork(state), traffic }),
  ]) as Promise<[MixnetClient, MixnetClient]>;
}

/** create(route of `hops`) + hops × process, in ms, median of repeated runs in this process. */
function referenceCost(hops: number): number {
  const route = Array.from({ length: hops }, (_, i) => ({
    ...generateKeyPair(),
    address: encodeNodeAddress({ host: '127.0.0.1', port: 2000 + i }),
  }));
  const delaysNs = route.map(() => 0n);
  const times: number[] = [];
  for (let i = 0; i < 60; i++) {
    const t0 = performance.now();
    let packet = createPacket({ route, delaysNs, destination: new Uint8Array(32), message: new Uint8Array(1500) });
    for (const hop of route) {
      const r = processPacket(packet, hop.privateKey);
      if (r.kind === 'forward') packet = r.packet;
    }
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return quantile(times, 0.5);
}

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

    // Throughput and CPU: a burst, every process's CPU time counted.
    const pids = state.processes.map((p) => p.pid as number);
    const cpu0 = pids.reduce((s, pid) => s + processCpuSeconds(pid), 0);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const base = received;
    const burst = cover ? Math.min(opts.burst, 150) : opts.burst;
    await Promise.all(Array.from({ length: burst }, (_, i) => alice.send(bob.address, message(1_000_000 + i))));
    await waitFor(base + burst, 30_000);
    const seconds = (performance.now() - t0) / 1000;
    const self = process.cpuUsage(self0);
    const cpu = pids.reduce((s, pid) => s + processCpuSeconds(pid), 0) - cpu0 + (self.user + self.system) / 1e6;
    const delivered = received - base;

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
      referenceMs: referenceCost(layers + 1),
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
        );
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
