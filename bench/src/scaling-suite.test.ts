/**
 * The scaling suite's shaping of results (no testnet): saturation, the ramp's points, the entries and
 * the plots, and the Prometheus sums the CPU-per-packet figure divides by.
 */
import type { RampEpoch } from '@mixnet/testnet';
import { describe, expect, it } from 'vitest';
import { promSum } from './offered-load.js';
import {
  cpuPerPacket,
  type LoadPoint,
  loadPoint,
  rampPoints,
  type ScalingResult,
  saturated,
  saturation,
  scalingEntries,
  scalingSvgs,
} from './scaling-suite.js';

const dist = (mean: number, n: number) => ({ mean, p10: mean - 0.3, p50: mean, p90: mean + 0.3, n });

function epoch(e: number, clients: number, offered: number, mu: number, h: number, n: number, p50: number): RampEpoch {
  return {
    epoch: e,
    clients,
    from: e * 5,
    until: e * 5 + 5,
    muMs: mu,
    width: 1,
    offeredPerSecond: offered,
    hOut: dist(h, n),
    degree: dist(0.9, n),
    hSnd: dist(3, n),
    latency: { n: 100, p50, p95: p50 * 2 },
    delays: { n: 1000, fittedCMs: 0.2, fittedMMs: mu },
    offeredBefore: offered / 2,
  };
}

describe('scaling suite: results', () => {
  it('a load step: p50/p99 from the latencies, loss from the counts', () => {
    const latencies = Array.from({ length: 100 }, (_, i) => i + 1);
    const p = loadPoint({ offered: 200, throughput: 180.456, sent: 200, delivered: 100, latencies }, 37.123);
    expect(p).toEqual({
      offered: 200,
      throughput: 180.46,
      p50: 50.5,
      p99: 99.01,
      loss: 0.5,
      generatorCpuPercent: 37.12,
    });
    expect(loadPoint({ offered: 1, throughput: 0, sent: 0, delivered: 0, latencies: [] }).loss).toBe(0);
  });

  it('saturation: the best delivered rate of the steps with little loss and a bounded p99', () => {
    const pt = (offered: number, throughput: number, loss: number, p99: number): LoadPoint => ({
      offered,
      throughput,
      p50: p99 / 3,
      p99,
      loss,
      generatorCpuPercent: 10,
    });
    const points = [pt(100, 99, 0, 80), pt(400, 395, 0.01, 200), pt(800, 610, 0.2, 900), pt(1600, 700, 0.5, 4000)];
    expect(points.map(saturated)).toEqual([false, false, true, true]);
    expect(saturation(points)).toBe(395);
    // a step with no delivery at all (p99 NaN) is saturated
    expect(saturated(pt(50, 0, 0, Number.NaN))).toBe(true);
    expect(saturation([])).toBe(0);
  });

  it('the ramp keeps epochs with enough targets, and the entries and plots say what was measured', () => {
    const epochs = [
      epoch(2, 4, 44, 300, 6.9, 5, 1100),
      epoch(3, 4, 48, 124, 6.5, 80, 520),
      epoch(4, 8, 90, 60, 6.1, 120, 250),
    ];
    const ramp = rampPoints(epochs);
    expect(ramp.map((p) => p.epoch)).toEqual([3, 4]);
    expect(ramp[1]).toEqual({
      epoch: 4,
      clients: 8,
      offeredPerSecond: 90,
      offeredBefore: 45,
      width: 1,
      muMs: 60,
      hOut: 6.1,
      hOutTargets: 120,
      p50: 250,
      p95: 500,
    });
    const r: ScalingResult = {
      target: 5,
      ramp,
      load: [
        {
          width: 1,
          points: [loadPoint({ offered: 50, throughput: 50, sent: 10, delivered: 10, latencies: [5, 6] })],
          saturation: 50,
        },
      ],
      cpu: [
        {
          width: 1,
          cpuPerPacketMs: 0.9,
          marginalCpuPerPacketMs: 0.8,
          idleCpuPercent: 8,
          packets: 1000,
          relayProcesses: 4,
        },
        {
          width: 2,
          cpuPerPacketMs: 1.0,
          marginalCpuPerPacketMs: 0.8,
          idleCpuPercent: 14,
          packets: 1000,
          relayProcesses: 7,
        },
      ],
    };
    const names = scalingEntries(r).map((e) => e.name);
    expect(names).toContain('ramp/epoch 4: H_out');
    expect(names).toContain('load/3x1: saturation throughput');
    expect(names).toContain('cpu/3x2: relay CPU per packet');
    expect(names).toContain('cpu/3x2: relay CPU per packet, idle taken out');
    const svgs = scalingSvgs(r);
    expect(Object.keys(svgs).sort()).toEqual([
      'scaling-cpu-per-packet.svg',
      'scaling-load-latency.svg',
      'scaling-load-loss.svg',
      'scaling-ramp-anonymity.svg',
      'scaling-ramp-latency.svg',
    ]);
    for (const svg of Object.values(svgs)) {
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).not.toContain('NaN');
    }
    expect(svgs['scaling-ramp-anonymity.svg']).toContain('target 5 bits');
    // nothing measured, nothing drawn
    expect(scalingSvgs({ target: 5, ramp: [], load: [], cpu: [] })).toEqual({});
  });

  it('CPU per packet: the idle window (CPU and packets) comes out of both sides of the marginal figure', () => {
    // 10 s window: 2 CPU-s, 1,000 packets. Idle: 5 % of a core (0.5 s) and 20 cover packets/s (200).
    const idle = { cpuPercent: 5, packetsPerSecond: 20 };
    expect(cpuPerPacket({ relayCpuSeconds: 2, windowSeconds: 10, relayPackets: 1000 }, idle)).toEqual({
      cpuPerPacketMs: 2,
      marginalCpuPerPacketMs: 1.875,
      idleCpuPercent: 5,
    });
    // Idle above what the window used (noise), fewer packets than the cover alone: never negative or ∞.
    const odd = cpuPerPacket({ relayCpuSeconds: 0.1, windowSeconds: 10, relayPackets: 0 }, idle);
    expect(odd.marginalCpuPerPacketMs).toBe(0);
    expect(odd.cpuPerPacketMs).toBe(100);
  });

  it('sums a counter over its label sets in a Prometheus page', () => {
    const page = [
      '# HELP mixnet_packets_delivered_total x',
      '# TYPE mixnet_packets_delivered_total counter',
      'mixnet_packets_delivered_total 12',
      'mixnet_drop_cover_total{kind="a"} 3',
      'mixnet_drop_cover_total{kind="b"} 4',
      'mixnet_packets_delivered_totally 100',
    ].join('\n');
    expect(promSum(page, ['mixnet_packets_delivered_total', 'mixnet_drop_cover_total'])).toBe(19);
  });
});
